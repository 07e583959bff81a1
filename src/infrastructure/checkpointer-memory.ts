/** In-memory checkpoint store for unit tests: LangGraph's `MemorySaver` plus a map of thread use times. */
import { MemorySaver } from '@langchain/langgraph';
import { MS_PER_DAY, type CheckpointStore, type NowMs } from './checkpointer.js';

/** Creates a memory store; `now` lets retention tests move time. */
export function createMemoryCheckpointer(options: { readonly now?: NowMs } = {}): CheckpointStore {
  const now = options.now ?? Date.now;
  const saver = new MemorySaver();
  const lastUsed = new Map<string, number>();
  return {
    kind: 'memory',
    saver,
    async touchThread(threadId) {
      lastUsed.set(threadId, now());
    },
    async listThreads() {
      return [...lastUsed].sort((a, b) => a[1] - b[1]).map(([threadId]) => threadId);
    },
    async pruneThreads(retentionDays) {
      const cutoff = now() - retentionDays * MS_PER_DAY;
      const old = [...lastUsed].filter(([, usedAt]) => usedAt < cutoff).map(([threadId]) => threadId);
      for (const threadId of old) {
        await saver.deleteThread(threadId);
        lastUsed.delete(threadId);
      }
      return old.length;
    },
    async close() {},
  };
}
