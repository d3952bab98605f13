/**
 * What each function may do to each table: exactly the DynamoDB actions its code sends, no more
 * (`Query@<index>` is a query on that index only). The stack grants from this list and the stack
 * test checks the synthesized policies against it.
 */
import { TOKEN_EXPIRY_INDEX, type TableKey } from '../lambdas/store/schema';

export type FunctionName =
  | 'WsAuthorizer'
  | 'WsConnect'
  | 'WsDisconnect'
  | 'WsDefault'
  | 'WsTimeout'
  | 'FanOut'
  | 'TokenSweep'
  | 'HttpApiHandler'
  | 'TargetPush';
export type FunctionAccess = Partial<Record<TableKey, readonly string[]>>;

/** Removing a connection (410, expired token): its item and its index items. */
const removeConnection: FunctionAccess = { connections: ['DeleteItem'], subscriptions: ['BatchWriteItem'] };
/** Routing a message: thing, policy, index query, connection targets (one Query per cache window), gone/expired recipients removed. */
const routeMessage: FunctionAccess = {
  things: ['GetItem'],
  policies: ['GetItem'],
  subscriptions: ['Query', 'BatchWriteItem'],
  connections: ['DeleteItem'],
  targets: ['Query'],
};

export const FUNCTION_ACCESS: Record<FunctionName, FunctionAccess> = {
  WsAuthorizer: {},
  WsConnect: { connections: ['PutItem'] },
  // The stored record names the subjects when the event carries no authorizer context.
  WsDisconnect: { connections: ['GetItem', 'DeleteItem'], subscriptions: ['BatchWriteItem'] },
  WsDefault: {
    ...routeMessage,
    // token expiry check, START/STOP, JWT-TOKEN
    connections: ['GetItem', 'UpdateItem', 'DeleteItem'],
    subscriptions: ['Query', 'BatchWriteItem', 'UpdateItem'],
    correlations: ['PutItem', 'UpdateItem'],
  },
  WsTimeout: { correlations: ['GetItem', 'UpdateItem'] },
  FanOut: removeConnection,
  TokenSweep: { connections: [`Query@${TOKEN_EXPIRY_INDEX}`, 'GetItem', 'DeleteItem'], subscriptions: ['BatchWriteItem'] },
  HttpApiHandler: {
    ...routeMessage,
    things: ['GetItem', 'PutItem', 'DeleteItem'],
    policies: ['GetItem', 'PutItem', 'DeleteItem'],
    correlations: ['PutItem', 'GetItem', 'UpdateItem'],
    // the connections API (devops)
    targets: ['Query', 'GetItem', 'PutItem', 'DeleteItem'],
  },
  // Re-selects targets with its own view (thing, policy, connections); an answer from the endpoint is a response.
  TargetPush: { things: ['GetItem'], policies: ['GetItem'], targets: ['Query'], correlations: ['UpdateItem'] },
};
