/**
 * The variables form: one field per variable the flow declares in its package.json
 * (`openflows.variables`, required ones marked), plus free name/value rows for anything else.
 */
import { useState } from 'react';
import type { Variable } from '../api';

export type EnvRow = { key: string; value: string };

/** The env object of the declared fields and extra rows (empty values left out). */
export function envOf(declared: Record<string, string>, extra: EnvRow[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(declared)) if (v !== '') env[k] = v;
  for (const { key, value } of extra) if (key.trim()) env[key.trim()] = value;
  return env;
}

/** Names of required variables without a value. */
export function missingRequired(variables: Record<string, Variable>, declared: Record<string, string>): string[] {
  return Object.entries(variables)
    .filter(([k, v]) => v.required && !declared[k]?.trim())
    .map(([k]) => k);
}

export function EnvFields({
  variables,
  declared,
  setDeclared,
  extra,
  setExtra,
}: {
  variables: Record<string, Variable>;
  declared: Record<string, string>;
  setDeclared: (v: Record<string, string>) => void;
  extra: EnvRow[];
  setExtra: (rows: EnvRow[]) => void;
}) {
  const [showExtra, setShowExtra] = useState(extra.length > 0);
  const names = Object.keys(variables);
  return (
    <fieldset className="fieldset">
      <legend>Variables</legend>
      {names.length === 0 && <p className="muted small">This flow declares no variables in its package.json.</p>}
      {names.map((name) => {
        const v = variables[name];
        return (
          <label key={name}>
            <span>
              <code>{name}</code> {v.required ? <span className="required">required</span> : <span className="hint">optional</span>}
            </span>
            {v.description && <span className="hint block">{v.description}</span>}
            <input
              name={`env.${name}`}
              required={v.required}
              value={declared[name] ?? ''}
              onChange={(e) => setDeclared({ ...declared, [name]: e.target.value })}
            />
          </label>
        );
      })}
      {showExtra || extra.length > 0 ? (
        <div className="extra-env">
          <span className="hint">Other variables</span>
          {extra.map((row, i) => (
            <div className="row-fields" key={i}>
              <input
                aria-label="Variable name"
                placeholder="NAME"
                value={row.key}
                onChange={(e) => setExtra(extra.map((r, j) => (j === i ? { ...r, key: e.target.value } : r)))}
              />
              <input
                aria-label="Value"
                placeholder="value"
                value={row.value}
                onChange={(e) => setExtra(extra.map((r, j) => (j === i ? { ...r, value: e.target.value } : r)))}
              />
              <button
                type="button"
                className="button small ghost"
                onClick={() => setExtra(extra.filter((_, j) => j !== i))}
                aria-label="Remove"
              >
                Remove
              </button>
            </div>
          ))}
          <button type="button" className="link-button" onClick={() => setExtra([...extra, { key: '', value: '' }])}>
            + Add a variable
          </button>
        </div>
      ) : (
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setShowExtra(true);
            setExtra([{ key: '', value: '' }]);
          }}
        >
          + Add a variable the flow does not declare
        </button>
      )}
      <p className="hint">
        Values are visible to the flow as <code>env</code>. Put keys and passwords in <a href="/secrets">Secrets</a> and pass their name
        here.
      </p>
    </fieldset>
  );
}
