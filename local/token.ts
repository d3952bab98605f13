/** `npm run token -- <name> [--expires 1h]`: prints a dev token for subject `local:<name>`. */
import { devToken } from './dev-auth';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--')) ?? 'alice';
const expiresIndex = args.indexOf('--expires');
const expiresIn = expiresIndex >= 0 ? args[expiresIndex + 1] : undefined;
devToken(name, expiresIn ? { expiresIn } : {})
  .then((t) => console.log(t))
  .catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
