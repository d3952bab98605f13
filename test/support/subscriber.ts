/** A client subscribed for messages, and its subscription as the index holds it (for calling fan-out directly). */
import type { Subscription } from '../../lambdas/core/messages';
import { sessions } from '../../lambdas/store/repositories';
import type { LocalGateway } from '../../local/gateway';
import { bearer, TestClient, uniqueName } from './harness';

export async function subscriber(gateway: LocalGateway): Promise<{ client: TestClient; subscription: Subscription }> {
  const name = uniqueName();
  const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
  await client.subscribe();
  const [subscription] = await sessions().subscriptionsFor([`local:${name}`]);
  return { client, subscription: subscription! };
}
