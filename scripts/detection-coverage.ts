/** Writes docs/detection-coverage.md from the vendor catalogs and rule table (`npm run docs:coverage`). */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { coverageMarkdown } from '../detection/coverage-doc';

const file = path.resolve(__dirname, '..', 'docs', 'detection-coverage.md');
writeFileSync(file, coverageMarkdown());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
