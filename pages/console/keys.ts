/**
 * The keys the user typed, kept in sessionStorage only (gone when the tab closes), never in
 * a URL or localStorage. The function key reads; the master key is for admin acts.
 */

export interface Keys {
  functionKey: string;
  masterKey?: string;
}

const FUNCTION_KEY = 'console.functionKey';
const MASTER_KEY = 'console.masterKey';

export function loadKeys(): Keys | undefined {
  const functionKey = sessionStorage.getItem(FUNCTION_KEY);
  if (!functionKey) return undefined;
  const masterKey = sessionStorage.getItem(MASTER_KEY) ?? undefined;
  return masterKey ? { functionKey, masterKey } : { functionKey };
}

export function saveKeys(keys: Keys): void {
  sessionStorage.setItem(FUNCTION_KEY, keys.functionKey);
  if (keys.masterKey) sessionStorage.setItem(MASTER_KEY, keys.masterKey);
  else sessionStorage.removeItem(MASTER_KEY);
}

export function forgetKeys(): void {
  sessionStorage.removeItem(FUNCTION_KEY);
  sessionStorage.removeItem(MASTER_KEY);
}
