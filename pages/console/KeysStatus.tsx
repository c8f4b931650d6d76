/** Which keys the console holds, and a way to forget them. */
import type { Keys } from './keys';

interface Props {
  keys: Keys;
  onForget(): void;
}

export function KeysStatus({ keys, onForget }: Props) {
  return (
    <div class="keys-status">
      <span>
        Function key set; master key {keys.masterKey ? 'set' : 'not set'}.
      </span>
      <button type="button" class="secondary" onClick={onForget}>
        Forget keys
      </button>
    </div>
  );
}
