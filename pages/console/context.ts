/** The API client and the models list, shared by every view. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api';
import type { Keys } from './keys';
import type { ModelSummary } from './types';

export interface ConsoleState {
  api: Api;
  keys: Keys;
  models: ModelSummary[];
  /** Reads GET /api/models again (after an alias move, say); the list read, or undefined when it failed. */
  reloadModels(): Promise<ModelSummary[] | undefined>;
  /** Keeps (or, with undefined, forgets) the master key for this session. */
  setMasterKey(masterKey: string | undefined): void;
}

export const ConsoleContext = createContext<ConsoleState | undefined>(undefined);

export function useConsole(): ConsoleState {
  const state = useContext(ConsoleContext);
  if (!state) throw new Error('useConsole outside ConsoleContext');
  return state;
}
