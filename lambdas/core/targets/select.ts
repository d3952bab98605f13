/**
 * Which connection targets get a message: exactly those a WebSocket subscriber with the target's
 * authorization context, namespaces and filter would be (READ through the policy, revokes win).
 */
import { acceptsMessage, type MessageFacts } from '../messages';
import type { Readers } from '../policy';
import type { CompiledConnection } from './connection';

export interface TargetRecipient {
  readonly connectionId: string;
  /** Index of the target in the connection. */
  readonly target: number;
}

export function selectTargets(connections: readonly CompiledConnection[], readers: Readers, facts: MessageFacts): TargetRecipient[] {
  const views = new Map<string, unknown>();
  const out: TargetRecipient[] = [];
  for (const connection of connections) {
    if (!connection.open) continue;
    connection.targets.forEach((target, index) => {
      if (!target.liveMessages) return;
      const subscription = {
        connectionId: connection.id,
        subjects: target.authorizationContext,
        namespaces: target.liveMessages.namespaces,
        filter: target.liveMessages.filter,
      };
      if (acceptsMessage(subscription, readers, facts, views)) out.push({ connectionId: connection.id, target: index });
    });
  }
  return out;
}
