/** A labelled select: its options as values, or as [value, text] pairs. */
export type SelectOption = string | readonly [value: string, text: string];

export function SelectField({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: readonly SelectOption[]; onChange: (value: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map((o) => {
          const [v, text] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </div>
  );
}
