// `npm start` runs this first, before anything is built: a clear line instead of a stack trace from
// a dependency when the Node.js version is too old. Node 24 LTS is the supported runtime; Node 20
// (>= 20.19, which jose 6 and the rest of the tree need) still works until users have moved.
'use strict';
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19) || major === 21 || major === 23) {
  console.error(
    `start: Node.js ${process.versions.node} is not supported. Use Node 24 LTS (or Node 20.19+ / 22.x until you move). ` +
      'scripts/install-node.sh installs the pinned Node 24 from the npm registry.',
  );
  process.exit(1);
}
if (major === 20)
  console.warn(
    `start: Node.js ${process.versions.node} reached end of life in April 2026; Node 24 LTS is the supported runtime (scripts/install-node.sh)`,
  );
