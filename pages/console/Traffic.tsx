/**
 * Moving an alias (promote, roll back), splitting it by weight, or adding a shadow: with the
 * master key, after a confirmation that shows the route now and the route asked for.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { ConfirmDialog } from './ConfirmDialog';
import { useConsole } from './context';
import { describeRoute, when } from './format';
import { MasterKeyForm } from './MasterKeyForm';
import { ProblemView } from './ProblemView';
import { SelectField } from './SelectField';
import { bodyOf, currentRoute, formFor, routeOfBody, sameRoute, type RouteForm } from './routeForm';
import type { AliasMove } from './types';

/** How long the console waits for the app to serve a move (its versions' R workers starting). */
const ROUTE_WAIT_MS = 60_000;

export function Traffic() {
  const { api, keys, models, reloadModels, setMasterKey } = useConsole();
  const [modelName, setModelName] = useState(models[0]?.name ?? '');
  const model = models.find((m) => m.name === modelName);
  const [alias, setAlias] = useState(() => (model && Object.hasOwn(model.aliases, 'production') ? 'production' : 'latest'));
  const [form, setForm] = useState<RouteForm | undefined>(() => (model ? formFor(model, alias) : undefined));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<AliasMove>();
  const [error, setError] = useState<unknown>();
  const [served, setServed] = useState<'waiting' | 'served' | 'late'>();
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  /** Another model or alias: the form starts from that alias's route. */
  function choose(name: string, aliasName: string) {
    setModelName(name);
    setAlias(aliasName);
    const m = models.find((x) => x.name === name);
    if (m) setForm(formFor(m, aliasName.trim()));
  }

  if (!model || !form) return <p>No model is published yet.</p>;
  const now = currentRoute(model, alias.trim());
  const body = bodyOf(form);
  const update = (patch: Partial<RouteForm>) => setForm({ ...form, ...patch });

  async function move() {
    const name = modelName;
    const aliasName = alias.trim();
    const asked = routeOfBody(body);
    setConfirming(false);
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    setServed(undefined);
    try {
      setResult(await api.moveAlias(name, aliasName, body));
    } catch (err) {
      setError(err);
      setBusy(false);
      return;
    }
    // The app serves a move once the versions it names have R workers up: until then its
    // models list shows the route before. Read it again until it shows the new one.
    setServed('waiting');
    const deadline = Date.now() + ROUTE_WAIT_MS;
    for (;;) {
      const list = await reloadModels();
      const m = list?.find((x) => x.name === name);
      if (m && sameRoute(currentRoute(m, aliasName), asked)) {
        setServed('served');
        break;
      }
      if (Date.now() > deadline || !mounted.current) {
        setServed('late');
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    setBusy(false);
  }

  return (
    <section aria-labelledby="traffic-heading">
      <h2 id="traffic-heading">Traffic</h2>
      <p>Point an alias at a version, split its requests by weight for a rollout, or shadow a version (scored after the answer, and compared).</p>
      {!keys.masterKey && <MasterKeyForm reason="Moving an alias is an admin act: it needs the master key." />}
      <form
        class="panel traffic-form"
        onSubmit={(e) => {
          e.preventDefault();
          setResult(undefined);
          setError(undefined);
          setConfirming(true);
        }}
      >
        <div class="row">
          <SelectField id="traffic-model" label="Model" value={modelName} options={models.map((m) => m.name)} onChange={(value) => choose(value, alias)} />
          <div class="field">
            <label for="traffic-alias">Alias</label>
            <input id="traffic-alias" list="traffic-aliases" required value={alias} aria-describedby="traffic-now" onChange={(e) => choose(modelName, e.currentTarget.value)} />
            <datalist id="traffic-aliases">
              {Object.keys(model.aliases).map((a) => (
                <option key={a} value={a} />
              ))}
            </datalist>
            <p id="traffic-now" class="hint">
              {now ? `Now: ${describeRoute(now)}` : 'A new alias.'}
            </p>
          </div>
        </div>
        <fieldset>
          <legend>Serve</legend>
          <div class="checks">
            <input id="traffic-mode-version" type="radio" name="traffic-mode" checked={form.mode === 'version'} onChange={() => update({ mode: 'version' })} />
            <label for="traffic-mode-version">one version</label>
            <input id="traffic-mode-split" type="radio" name="traffic-mode" checked={form.mode === 'split'} onChange={() => update({ mode: 'split' })} />
            <label for="traffic-mode-split">versions by weight</label>
          </div>
          {form.mode === 'version' ? (
            <SelectField id="traffic-version" label="Version" value={form.version} options={model.versions} onChange={(version) => update({ version })} />
          ) : (
            <div class="row">
              {model.versions.map((v) => (
                <div class="field" key={v}>
                  <label for={`traffic-weight-${v}`}>Weight of version {v}</label>
                  <input id={`traffic-weight-${v}`} type="number" min="0" step="any" value={form.weights[v] ?? ''} onInput={(e) => update({ weights: { ...form.weights, [v]: e.currentTarget.value } })} />
                </div>
              ))}
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Shadow</legend>
          <div class="checks">
            <input id="traffic-shadow" type="checkbox" checked={form.shadow} onChange={(e) => update({ shadow: e.currentTarget.checked })} />
            <label for="traffic-shadow">also score a share of requests on another version</label>
          </div>
          {form.shadow && (
            <div class="row">
              <SelectField id="traffic-shadow-version" label="Shadow version" value={form.shadowVersion} options={model.versions} onChange={(shadowVersion) => update({ shadowVersion })} />
              <div class="field">
                <label for="traffic-shadow-percent">Shadow percent</label>
                <input id="traffic-shadow-percent" type="number" min="0" max="100" step="any" value={form.shadowPercent} onInput={(e) => update({ shadowPercent: e.currentTarget.value })} />
              </div>
            </div>
          )}
        </fieldset>
        <div class="actions">
          <button type="submit" disabled={busy || !keys.masterKey}>
            {busy ? 'Moving…' : 'Move alias…'}
          </button>
          {keys.masterKey && (
            <button type="button" class="secondary" onClick={() => setMasterKey(undefined)}>
              Forget the master key
            </button>
          )}
        </div>
      </form>
      <ConfirmDialog open={confirming} title="Move the alias?" confirmLabel="Move it" onConfirm={() => void move()} onCancel={() => setConfirming(false)}>
        <p>
          Alias <code>{alias.trim()}</code> of <strong>{modelName}</strong> will serve <strong>{describeRoute(routeOfBody(body))}</strong>
          {now ? (
            <>
              {' '}
              instead of <strong>{describeRoute(now)}</strong>.
            </>
          ) : (
            ' (a new alias).'
          )}{' '}
          Clients using this alias are served by it within seconds.
        </p>
      </ConfirmDialog>
      <div aria-live="polite">
        {result && (
          <p class="success">
            Moved <code>{result.alias}</code> of {result.name} from {result.from ?? 'nothing'} to {result.traffic ? describeRoute(result.traffic) : result.to}, at {when(result.at)} by{' '}
            {result.by}.
          </p>
        )}
        {served && (
          <p class="route-status" role="status">
            {served === 'waiting' && 'The app serves the new route once the R workers of the versions it names are up: waiting…'}
            {served === 'served' && `The app now serves ${alias.trim()} as moved.`}
            {served === 'late' && 'The models list does not show the new route yet: its versions may still be starting. Refresh the Models view later.'}
          </p>
        )}
      </div>
      {error !== undefined && (
        <>
          <ProblemView error={error} title="The alias was not moved" />
          {error instanceof ApiError && error.status === 401 && (
            <button type="button" class="secondary" onClick={() => setMasterKey(undefined)}>
              Enter another master key
            </button>
          )}
        </>
      )}
    </section>
  );
}
