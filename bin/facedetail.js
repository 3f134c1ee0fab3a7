#!/usr/bin/env node
// Thin shell over the CLI in src/node/cli.ts (built to dist/); main() sets process.exitCode.
import { main } from '../dist/node/cli.js';

await main(process.argv);
