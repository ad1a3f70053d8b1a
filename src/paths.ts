/**
 * The package's root folder (package.json, templates/). This file sits one level below it in every
 * layout that runs: src/ (tests) and bundle/ (the shipped bundle, one flat folder).
 */
export const packageRoot = new URL('../', import.meta.url);
