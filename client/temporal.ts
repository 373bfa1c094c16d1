import { Client, Connection } from '@temporalio/client';
import type { Config } from '../common/config';

/** A Temporal client for the configured address and namespace; close its connection when done. */
export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
