/**
 * The console: nothing but the key form until the app accepts a function key, then the
 * views (models, traffic, batches, monitoring) over the same API.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { createApi } from './api';
import { Batches } from './Batches';
import { ConsoleContext, type ConsoleState } from './context';
import { KeyForm } from './KeyForm';
import { forgetKeys, loadKeys, saveKeys, type Keys } from './keys';
import { KeysStatus } from './KeysStatus';
import { Models } from './Models';
import { Monitoring } from './Monitoring';
import { Nav } from './Nav';
import { ProblemView } from './ProblemView';
import { useHashRoute } from './route';
import { Traffic } from './Traffic';
import type { ModelSummary } from './types';

const REFUSED = 'The app refused the function key (401). Enter a valid key.';

export function App() {
  const [keys, setKeys] = useState<Keys | undefined>(loadKeys);
  const [models, setModels] = useState<ModelSummary[]>();
  const [notice, setNotice] = useState<string>();
  const [loadError, setLoadError] = useState<unknown>();
  const route = useHashRoute();

  const signOut = useCallback((why?: string) => {
    forgetKeys();
    setKeys(undefined);
    setModels(undefined);
    setNotice(why);
  }, []);

  const api = useMemo(() => (keys ? createApi(keys, () => signOut(REFUSED)) : undefined), [keys, signOut]);

  const reloadModels = useCallback(async () => {
    if (!api) return undefined;
    try {
      const list = await api.listModels();
      setModels(list);
      setLoadError(undefined);
      return list;
    } catch (err) {
      setLoadError(err);
      return undefined;
    }
  }, [api]);

  // A key kept from earlier in this session is checked again before anything is shown.
  useEffect(() => {
    if (api && models === undefined) void reloadModels();
  }, [api, models, reloadModels]);

  const state = useMemo<ConsoleState | undefined>(
    () =>
      api && keys && models
        ? {
            api,
            keys,
            models,
            reloadModels,
            setMasterKey: (masterKey) => {
              const next = masterKey ? { ...keys, masterKey } : { functionKey: keys.functionKey };
              saveKeys(next);
              setKeys(next);
            },
          }
        : undefined,
    [api, keys, models, reloadModels],
  );

  if (!state) {
    return (
      <main id="main" class="console">
        <h1>R scoring console</h1>
        {keys && loadError === undefined ? (
          <p role="status">Checking the key…</p>
        ) : (
          <>
            {loadError !== undefined && <ProblemView error={loadError} title="The models could not be read" />}
            <KeyForm
              notice={notice}
              onAccepted={(k, m) => {
                saveKeys(k);
                setNotice(undefined);
                setLoadError(undefined);
                setKeys(k);
                setModels(m);
              }}
            />
          </>
        )}
      </main>
    );
  }

  return (
    <ConsoleContext.Provider value={state}>
      <header class="top">
        <h1>R scoring console</h1>
        <KeysStatus keys={state.keys} onForget={() => signOut()} />
      </header>
      <Nav current={route.view} />
      <main id="main" class="console">
        {route.view === 'models' && <Models name={route.params[0]} version={route.params[1]} />}
        {route.view === 'traffic' && <Traffic />}
        {route.view === 'batches' && <Batches />}
        {route.view === 'monitoring' && <Monitoring />}
      </main>
    </ConsoleContext.Provider>
  );
}
