/** Asks for the master key where an admin act needs it (kept in session storage like the function key). */
import { useState } from 'preact/hooks';
import { useConsole } from './context';

export function MasterKeyForm({ reason }: { reason: string }) {
  const { setMasterKey } = useConsole();
  const [value, setValue] = useState('');
  return (
    <form
      class="panel master-key"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) setMasterKey(value.trim());
      }}
    >
      <p>{reason}</p>
      <div class="field">
        <label for="traffic-master-key">Master key</label>
        <input id="traffic-master-key" type="password" autocomplete="off" spellcheck={false} required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </div>
      <button type="submit">Keep the master key</button>
    </form>
  );
}
