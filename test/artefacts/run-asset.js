// Runs one bundled Lambda asset as Lambda would: a plain Node process, the handler module from the
// asset folder, the AWS SDK (and only it) on the module path. Input and output as JSON on stdio.
const { join } = require('node:path');
const [assetDir, eventJson] = process.argv.slice(2);
const started = Date.now();
const context = { awsRequestId: 'artefact-test', functionName: 'artefact', getRemainingTimeInMillis: () => 10_000 - (Date.now() - started) };
const { handler } = require(join(assetDir, 'index.js'));
Promise.resolve(handler(JSON.parse(eventJson), context)).then(
  (result) => process.stdout.write(`\n@@RESULT@@${JSON.stringify(result ?? null)}\n`),
  (error) => process.stdout.write(`\n@@ERROR@@${JSON.stringify(String(error))}\n`),
);
