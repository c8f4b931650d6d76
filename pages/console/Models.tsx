/** Every model with its versions, aliases and traffic; a chosen version's details and score form below. */
import { useConsole } from './context';
import { describeRoute } from './format';
import { href } from './route';
import type { ModelSummary } from './types';
import { VersionDetail } from './VersionDetail';

function Aliases({ model }: { model: ModelSummary }) {
  const names = Object.keys(model.aliases).sort();
  if (names.length === 0) return <>none</>;
  return (
    <ul class="plain">
      {names.map((a) => {
        const route = model.traffic[a];
        return (
          <li key={a}>
            <code>{a}</code> → {route ? describeRoute(route) : model.aliases[a]}
          </li>
        );
      })}
    </ul>
  );
}

export function Models({ name, version }: { name?: string; version?: string }) {
  const { models, reloadModels } = useConsole();
  return (
    <section aria-labelledby="models-heading">
      <div class="heading-row">
        <h2 id="models-heading">Models</h2>
        <button type="button" class="secondary" onClick={() => void reloadModels()}>
          Refresh
        </button>
      </div>
      {models.length === 0 ? (
        <p>No model is published yet.</p>
      ) : (
        <table class="data">
          <caption class="visually-hidden">Published models, their versions, and what each alias serves</caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Versions</th>
              <th scope="col">Aliases and traffic</th>
              <th scope="col">Default</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.name}>
                <th scope="row">{m.name}</th>
                <td>
                  <ul class="inline">
                    {m.versions.map((v) => (
                      <li key={v}>
                        <a href={href('models', m.name, v)} aria-label={`${m.name} version ${v}`} aria-current={m.name === name && v === version ? 'page' : undefined}>
                          {v}
                        </a>
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  <Aliases model={m} />
                </td>
                <td>{m.defaultVersion ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {name && version ? (
        <VersionDetail key={`${name}/${version}`} name={name} version={version} />
      ) : (
        models.length > 0 && <p class="hint">Choose a version to see its features and score a row.</p>
      )}
    </section>
  );
}
