import { describe, expect, it } from 'vitest';
import { addComparison, comparePredictions, emptyComparison } from '../../functions/monitoring/shadowCompare.js';

describe('comparing shadow predictions with the served ones', () => {
  it('agrees on numbers within a relative tolerance and sums the absolute differences', () => {
    const c = comparePredictions([25.6, 1e12, 0, null, 3], [25.6 + 1e-12, 1e12 + 100, 0.5, null, 2]);
    // 1e12 and 1e12 + 100 differ by 1e-10 relatively: equal; both null agree; 0.5 and 1 do not.
    expect(c).toEqual({ rows: 5, agreed: 3, numericRows: 4, absDiffSum: expect.closeTo(1e-12 + 100 + 0.5 + 1, 9), classRows: 0, classAgreed: 0 });
  });

  it('does not agree when only one side is NA, and leaves that row out of the differences', () => {
    expect(comparePredictions([1, null], [null, 1])).toEqual({ rows: 2, agreed: 0, numericRows: 0, absDiffSum: 0, classRows: 0, classAgreed: 0 });
  });

  it('compares class labels and logicals as classes', () => {
    const c = comparePredictions(['Adelie', 'Gentoo', true, false], ['Adelie', 'Chinstrap', true, true]);
    expect(c).toEqual({ rows: 4, agreed: 2, numericRows: 0, absDiffSum: 0, classRows: 4, classAgreed: 2 });
  });

  it('compares probabilities by their mean difference and by the most probable class', () => {
    const served = [
      { Adelie: 0.7, Chinstrap: 0.2, Gentoo: 0.1 },
      { Adelie: 0.5, Chinstrap: 0.4, Gentoo: 0.1 },
      { Adelie: 0.2, Chinstrap: 0.3, Gentoo: 0.5 },
    ];
    const shadow = [
      { Adelie: 0.7, Chinstrap: 0.2, Gentoo: 0.1 },
      { Adelie: 0.4, Chinstrap: 0.5, Gentoo: 0.1 },
      { Adelie: 0.1, Chinstrap: 0.3, Gentoo: 0.6 },
    ];
    const c = comparePredictions(served, shadow);
    expect(c.rows).toBe(3);
    expect(c.agreed).toBe(1);
    expect(c.numericRows).toBe(3);
    // Row means: 0, (0.1 + 0.1 + 0) / 3, (0.1 + 0 + 0.1) / 3.
    expect(c.absDiffSum).toBeCloseTo(0.4 / 3, 12);
    expect(c.classRows).toBe(3);
    expect(c.classAgreed).toBe(2);
  });

  it('does not agree on objects with different names, but may on the most probable one', () => {
    const c = comparePredictions([{ a: 1, b: 2 }], [{ a: 1, b: 2, c: 0.5 }]);
    expect(c.agreed).toBe(0);
    expect(c.absDiffSum).toBe(0);
    expect(c.classAgreed).toBe(1);
  });

  it('counts served rows the shadow did not answer as not agreed, and ignores extra shadow rows', () => {
    expect(comparePredictions([1, 2, 3], [1])).toMatchObject({ rows: 3, agreed: 1, numericRows: 1 });
    expect(comparePredictions([1], [1, 2, 3])).toMatchObject({ rows: 1, agreed: 1, numericRows: 1 });
    expect(comparePredictions(['a'], [1])).toEqual({ ...emptyComparison(), rows: 1 });
  });

  it('adds comparisons into the first', () => {
    const into = emptyComparison();
    const result = addComparison(into, comparePredictions([1, 'a'], [2, 'a']));
    addComparison(into, comparePredictions([1], [1]));
    expect(result).toBe(into);
    expect(into).toEqual({ rows: 3, agreed: 2, numericRows: 2, absDiffSum: 1, classRows: 1, classAgreed: 1 });
  });
});
