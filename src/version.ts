import { createRequire } from "node:module";

// package.json sits one level above both src/ (tests) and dist/ (the build).
const pkg = createRequire(import.meta.url)("../package.json") as { version: string };

export const VERSION: string = pkg.version;
export const USER_AGENT = `streamhook/${VERSION}`;
