/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS require hook */
// Lets a child `node` process run this project's TypeScript directly (the worker under kill -9 in
// the fault-tolerance suite): .ts files are compiled with swc on require, as jest does.
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
