#!/usr/bin/env node
// All logic is in src/cli/lead-main.ts; run `npm run build` first.
import { main } from "../dist/cli/lead-main.js";

await main();
