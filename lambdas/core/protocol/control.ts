/** Plain-text control frames of Ditto's WebSocket binding. */
import { NotImplementedError } from '../errors';

export type ControlFrame =
  | { readonly kind: 'start-messages'; readonly namespaces?: readonly string[]; readonly filter?: string }
  | { readonly kind: 'stop-messages' }
  | { readonly kind: 'jwt-token'; readonly token: string };

export const START_SEND_MESSAGES = 'START-SEND-MESSAGES';
export const STOP_SEND_MESSAGES = 'STOP-SEND-MESSAGES';
export const JWT_TOKEN = 'JWT-TOKEN';

/** Ditto control frames we recognise but do not serve: answered with 501, never a false ACK. */
const UNSUPPORTED = [
  'START-SEND-EVENTS',
  'STOP-SEND-EVENTS',
  'START-SEND-LIVE-COMMANDS',
  'STOP-SEND-LIVE-COMMANDS',
  'START-SEND-LIVE-EVENTS',
  'STOP-SEND-LIVE-EVENTS',
  'START-SEND-POLICY-ANNOUNCEMENTS',
  'STOP-SEND-POLICY-ANNOUNCEMENTS',
];

export const ack = (command: string): string => `${command}:ACK`;

/** Returns the control frame, or undefined when the text is not one (then it must be an envelope). */
export function parseControlFrame(text: string): ControlFrame | undefined {
  const trimmed = text.trim();
  const command = trimmed.split('?', 1)[0]!;
  const query = new URLSearchParams(trimmed.slice(command.length + 1));
  switch (command) {
    case START_SEND_MESSAGES: {
      const namespaces = query.get('namespaces');
      const filter = query.get('filter');
      return {
        kind: 'start-messages',
        ...(namespaces !== null && namespaces.trim() !== '' ? { namespaces: namespaces.split(',').map((n) => n.trim()) } : {}),
        ...(filter !== null && filter.trim() !== '' ? { filter } : {}),
      };
    }
    case STOP_SEND_MESSAGES:
      return { kind: 'stop-messages' };
    case JWT_TOKEN:
      return { kind: 'jwt-token', token: query.get('jwtToken') ?? '' };
    default:
      if (UNSUPPORTED.includes(command)) throw new NotImplementedError(command);
      return undefined;
  }
}
