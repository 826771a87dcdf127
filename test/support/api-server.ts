import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { featureRoutes, type ApiDeps } from '../../lambdas/http/routes/feature-routes.js';
import { createApiGatewayServer } from '../../local/api-gateway-server.js';

/** The local API Gateway stand-in on an ephemeral port, over the given dependencies. */
export async function serveApi(deps: ApiDeps): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createApiGatewayServer(featureRoutes.map((r) => ({ routeKey: r.routeKey, handler: r.create(deps) })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
