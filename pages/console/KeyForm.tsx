/** The first thing the console shows: the keys, checked against the app before they are kept. */
import { useState } from 'preact/hooks';
import { checkFunctionKey } from './api';
import type { Keys } from './keys';
import { ProblemView } from './ProblemView';
import type { ModelSummary } from './types';

interface Props {
  /** Why the form is shown again (the stored key was refused), if it is. */
  notice?: string;
  onAccepted(keys: Keys, models: ModelSummary[]): void;
}

export function KeyForm({ notice, onAccepted }: Props) {
  const [functionKey, setFunctionKey] = useState('');
  const [masterKey, setMasterKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function submit(e: Event) {
    e.preventDefault();
    const key = functionKey.trim();
    if (!key) {
      setError(new Error('Enter a function key.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const models = await checkFunctionKey(key);
      const master = masterKey.trim();
      onAccepted(master ? { functionKey: key, masterKey: master } : { functionKey: key }, models);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel key-panel" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Keys</h2>
      <p>
        The console reads the app with a function key, and moves aliases with the master key. Keys are kept in this tab's session storage only, and sent in
        the <code>x-functions-key</code> header.
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} class="key-form">
        <div class="field">
          <label for="function-key">Function key</label>
          <input id="function-key" name="function-key" type="password" autocomplete="off" spellcheck={false} required value={functionKey} onInput={(e) => setFunctionKey(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="master-key">Master key (optional, for moving aliases)</label>
          <input id="master-key" name="master-key" type="password" autocomplete="off" spellcheck={false} value={masterKey} onInput={(e) => setMasterKey(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Open the console'}
        </button>
      </form>
      {error !== undefined && <ProblemView error={error} title="The key was not accepted" />}
    </section>
  );
}
