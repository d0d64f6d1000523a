// Writes config.schema.json from the built package: `npm run schema -w apps/appliance` after a build.
import { writeFileSync } from 'node:fs';
import { configJsonSchemaText } from '../dist/index.js';

writeFileSync(new URL('../config.schema.json', import.meta.url), configJsonSchemaText());
