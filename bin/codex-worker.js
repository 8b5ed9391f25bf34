#!/usr/bin/env node
// All logic is in src/cli/worker-main.ts; run `npm run build` first.
import { main } from "../dist/cli/worker-main.js";

await main();
