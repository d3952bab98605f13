// Jest transform: esbuild strips types (fast) and turns ESM (e.g. jose) into CommonJS.
// Type checking is done once by `tsc --noEmit` in `npm test`.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync } = require('esbuild');

const SELF = createHash('sha1').update(readFileSync(__filename)).digest('hex');

module.exports = {
  // Part of jest's cache key, so editing this transform invalidates cached output.
  getCacheKey(source, filename) {
    return createHash('sha1').update(SELF).update(filename).update(source).digest('hex');
  },
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
      // jest runs CommonJS without --experimental-vm-modules: turn import() into require()
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
