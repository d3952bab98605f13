// Jest transform: esbuild strips types (fast) and turns ESM (e.g. jose) into CommonJS.
// Type checking is done once by `tsc --noEmit` in `npm test`.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code, map };
  },
};
