import { describe, expect, it } from 'vitest';
import { describeReason, PublishError, withPublishOptions } from '../../functions/models/publish.js';
import { parseModelSchema } from '../../functions/scoring/modelSchema.js';

const described = JSON.stringify({ features: [{ name: 'x', type: 'numeric' }, { name: 'ssn', type: 'character' }], output: { defaultType: 'response', types: { response: { kind: 'numeric' } } } });

describe('publish options in model.json', () => {
  it('adds the prediction log and sensitive inputs, read back by the app', () => {
    const schema = parseModelSchema(withPublishOptions(described, { logSample: 0.25, logBatches: true, sensitive: ['ssn'], microBatch: false }));
    expect(schema.predictionLog).toEqual({ sample: 0.25, batches: true });
    expect(schema.sensitive).toEqual(['ssn']);
    expect(schema.microBatch).toBe(false);
    expect(withPublishOptions(described, {})).toBe(described);
  });

  it('refuses a share outside 0..1, batches without a share, and sensitive names that are not inputs', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (err) {
        return (err as PublishError).code + ': ' + (err as Error).message;
      }
    };
    expect(code(() => withPublishOptions(described, { logSample: 1.5 }))).toMatch(/^invalid_option: .*0 to 1/);
    expect(code(() => withPublishOptions(described, { logBatches: true }))).toMatch(/^invalid_option: .*sample/);
    expect(code(() => withPublishOptions(described, { sensitive: ['nope'] }))).toMatch(/^invalid_option: .*nope/);
  });

  it("gives R's reason once, without what packages print as they attach", () => {
    const stderr = 'randomForest 4.7-1.1\nType rfNews() to see new features/changes/bug fixes.\ndescribe failed: the prototype lacks the column \'hp\', which the model uses\n';
    expect(describeReason(stderr)).toBe("the prototype lacks the column 'hp', which the model uses");
    expect(describeReason('Error in library(x): there is no package called x\n')).toBe('Error in library(x): there is no package called x');
  });
});
