/**
 * /flows/new: deploy a flow from a git repository (URL, branch, sub-folder; "Inspect" reads the
 * flow's package.json on the platform and fills the form from its declared variables) or from a folder
 * on this computer (read in the browser: package.json gives the name and variables; the files go up
 * as multipart). The secrets the flow declares are listed: the platform refuses the deploy without them. Submitting starts the build and opens the flow's page.
 */
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, messageOf, type DeclaredSecret, type Variable } from '../api';
import { Notice, PageHeader, useTitle } from '../ui';
import { EnvFields, envOf, missingRequired, type EnvRow } from './env-form';

type Mode = 'git' | 'upload';
type Picked = { files: { path: string; file: File }[]; folder: string; skipped: number; bytes: number };

const SKIP = /(^|\/)(node_modules|\.git|dist|\.data)(\/|$)/;
const MAX_BYTES = 20 * 1024 * 1024;
const NAME = /^[a-z0-9][a-z0-9-_]{0,62}$/;

type Found = { name?: string; variables: Record<string, Variable>; secrets: DeclaredSecret[] };

/** Reads the declared name, variables and secrets (a list of names or an object of entries) from a package.json text. */
function readPackageJson(text: string): Found {
  const pkg = JSON.parse(text) as {
    name?: string;
    openflows?: { variables?: Record<string, Variable>; secrets?: string[] | Record<string, Omit<DeclaredSecret, 'name'>> };
  };
  const name = typeof pkg.name === 'string' ? pkg.name.replace(/^@[^/]+\//, '') : undefined;
  const declared = pkg.openflows?.secrets ?? [];
  const secrets = Array.isArray(declared)
    ? declared.map((n) => ({ name: n }))
    : Object.entries(declared).map(([n, s]) => ({ ...s, name: n }));
  return { name, variables: pkg.openflows?.variables ?? {}, secrets };
}

/** The secrets the flow needs, each under the name it will have with the variables filled in; the platform refuses the deploy without them. */
function SecretsNeeded({ secrets, env }: { secrets: DeclaredSecret[]; env: Record<string, string> }) {
  if (secrets.length === 0) return null;
  return (
    <fieldset className="fieldset">
      <legend>Secrets</legend>
      <p className="hint">
        This flow reads these secrets; store them on the <Link to="/secrets">Secrets</Link> page before deploying.
      </p>
      <ul>
        {secrets.map((s) => (
          <li key={s.name}>
            <code>{(s.variable && env[s.variable]) || s.name}</code>
            {s.description && ` — ${s.description}`}
            {s.variable && <span className="hint"> (named by the variable {s.variable})</span>}
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

export function NewFlowPage() {
  useTitle('New flow');
  const navigate = useNavigate();
  const [mode, setMode] = useState<Mode>('git');
  const [url, setUrl] = useState('');
  const [branch, setBranch] = useState('');
  const [path, setPath] = useState('');
  const [picked, setPicked] = useState<Picked>();
  const [name, setName] = useState('');
  const [variables, setVariables] = useState<Record<string, Variable>>();
  const [secrets, setSecrets] = useState<DeclaredSecret[]>([]);
  const [declared, setDeclared] = useState<Record<string, string>>({});
  const [extra, setExtra] = useState<EnvRow[]>([]);
  const [inspecting, setInspecting] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();

  const adopt = (found: Found) => {
    setVariables(found.variables);
    setSecrets(found.secrets);
    if (found.name && !name) setName(found.name);
    setDeclared(Object.fromEntries(Object.keys(found.variables).map((k) => [k, declared[k] ?? ''])));
  };

  const inspect = async () => {
    setError(undefined);
    if (!url.trim()) return setError('Enter the repository URL first.');
    setInspecting(true);
    try {
      adopt(await api.inspectGit({ url: url.trim(), branch: branch.trim() || undefined, path: path.trim() || undefined }));
    } catch (e) {
      setVariables(undefined);
      setError(`Could not read the flow from that repository: ${messageOf(e)}`);
    } finally {
      setInspecting(false);
    }
  };

  const pickFolder = async (e: ChangeEvent<HTMLInputElement>) => {
    setError(undefined);
    setVariables(undefined);
    const list = Array.from(e.target.files ?? []);
    if (list.length === 0) return setPicked(undefined);
    const folder = (list[0].webkitRelativePath || list[0].name).split('/')[0];
    let skipped = 0;
    const files: Picked['files'] = [];
    for (const file of list) {
      const inside = (file.webkitRelativePath || file.name).split('/').slice(1).join('/') || file.name;
      if (SKIP.test(inside)) skipped++;
      else files.push({ path: inside, file });
    }
    const bytes = files.reduce((n, f) => n + f.file.size, 0);
    setPicked({ files, folder, skipped, bytes });
    const pkg = files.find((f) => f.path === 'package.json');
    if (!pkg)
      return setError(`The folder "${folder}" has no package.json at its top. Pick the flow's own folder (the one with package.json).`);
    try {
      adopt(readPackageJson(await pkg.file.text()));
    } catch {
      setError(`The package.json in "${folder}" is not valid JSON. Fix it and pick the folder again.`);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    const flowName = name.trim();
    if (!NAME.test(flowName)) return setError('Give the flow a name of lower-case letters, digits, "-" or "_" (up to 63 characters).');
    if (variables) {
      const missing = missingRequired(variables, declared);
      if (missing.length) return setError(`Fill in the required variables: ${missing.join(', ')}.`);
    }
    const env = envOf(declared, extra);
    setSubmitting(true);
    try {
      if (mode === 'git') {
        if (!url.trim()) throw new Error('Enter the repository URL.');
        await api.deployGit({ name: flowName, url: url.trim(), branch: branch.trim() || undefined, path: path.trim() || undefined, env });
      } else {
        if (!picked) throw new Error('Pick the flow folder first.');
        if (picked.bytes > MAX_BYTES) throw new Error('That folder is larger than 20 MB. Leave out build output and dependencies.');
        const form = new FormData();
        form.append('name', flowName);
        form.append('env', JSON.stringify(env));
        for (const f of picked.files) form.append('files', f.file, f.path);
        await api.deployUpload(form);
      }
      void navigate(`/flows/${encodeURIComponent(flowName)}`);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setSubmitting(false);
    }
  };

  const ready = variables !== undefined;

  return (
    <>
      <PageHeader title="New flow" sub={<Link to="/flows">← All flows</Link>} />
      <div className="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'git'}
          className={`tab${mode === 'git' ? ' active' : ''}`}
          onClick={() => setMode('git')}
        >
          From a git repository
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'upload'}
          className={`tab${mode === 'upload' ? ' active' : ''}`}
          onClick={() => setMode('upload')}
        >
          Upload a folder
        </button>
      </div>
      <form className="form card wide" onSubmit={submit}>
        {mode === 'git' ? (
          <fieldset className="fieldset">
            <legend>Source</legend>
            <label>
              Repository URL
              <input
                name="url"
                type="text"
                inputMode="url"
                placeholder="https://github.com/you/your-flows.git"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                required
              />
            </label>
            <div className="row-fields">
              <label>
                Branch <span className="hint">default branch when empty</span>
                <input name="branch" placeholder="main" value={branch} onChange={(e) => setBranch(e.target.value)} />
              </label>
              <label>
                Sub-folder <span className="hint">where package.json is</span>
                <input name="path" placeholder="flows/github-chat" value={path} onChange={(e) => setPath(e.target.value)} />
              </label>
            </div>
            <div>
              <button type="button" className="button" onClick={() => void inspect()} disabled={inspecting}>
                {inspecting ? 'Reading the repository…' : ready ? 'Inspect again' : 'Inspect'}
              </button>{' '}
              <span className="hint">reads the flow's package.json for its name and variables</span>
            </div>
          </fieldset>
        ) : (
          <fieldset className="fieldset">
            <legend>Source</legend>
            <label className="file-pick">
              Flow folder <span className="hint">the folder with package.json; node_modules, .git and dist are left out</span>
              <input
                name="folder"
                type="file"
                multiple
                onChange={(e) => void pickFolder(e)}
                ref={(el) => {
                  if (el) {
                    el.setAttribute('webkitdirectory', '');
                    el.setAttribute('directory', '');
                  }
                }}
              />
            </label>
            {picked && (
              <p className="hint">
                {picked.folder}: {picked.files.length} files ({Math.ceil(picked.bytes / 1024)} KB)
                {picked.skipped > 0 && `, ${picked.skipped} left out`}
              </p>
            )}
          </fieldset>
        )}

        {ready && (
          <>
            <fieldset className="fieldset">
              <legend>Flow</legend>
              <label>
                Name <span className="hint">how the platform, the CLI and this dashboard call it</span>
                <input name="name" required value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9][a-z0-9\-_]{0,62}" />
              </label>
            </fieldset>
            <EnvFields variables={variables} declared={declared} setDeclared={setDeclared} extra={extra} setExtra={setExtra} />
            <SecretsNeeded secrets={secrets} env={declared} />
          </>
        )}
        {!ready && !error && (
          <p className="muted">
            {mode === 'git'
              ? 'Enter the repository and press Inspect: the form for its variables appears here.'
              : 'Pick the flow folder: the form for its variables appears here.'}
          </p>
        )}
        {error && <Notice tone="bad">{error}</Notice>}
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={submitting || !ready}>
            {submitting ? 'Starting the build…' : 'Deploy'}
          </button>
          <Link className="button ghost" to="/flows">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
