/** Mocha root hooks of the integration tier: one server per version for the whole run. */
import { startSharedServers, stopSharedServers } from './servers';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(180_000);
    await startSharedServers();
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await stopSharedServers();
  },
};
