// The file schemas, in one place.
export * from "./common.js";
export * from "./features.js";
export * from "./progress.js";
export * from "./config.js";
export * from "./inbox.js";
export * from "./events.js";
