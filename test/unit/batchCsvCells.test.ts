import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { csvHead, csvPiece, jsonPiece } from '../../functions/batch/batchResults.js';
import { csvCell, isGuarded } from '../../functions/batch/csvCells.js';

describe('CSV cells of batch results', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['=1+2', `"'=1+2"`],
    ['+cmd', `"'+cmd"`],
    ['-2+3+cmd|\' /C calc\'!A0', `"'-2+3+cmd|' /C calc'!A0"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tx', `"'\tx"`],
    ['\rx', `"'\rx"`],
    ["'quoted", `"''quoted"`],
    ['-', `"'-"`],
  ])('prefixes text a spreadsheet would run as a formula with a single quote, and quotes it: %j', (text, cell) => {
    expect(isGuarded(text)).toBe(true);
    expect(csvCell(text)).toBe(cell);
  });

  it.each([
    [-1.5, '-1.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [-1e-300, '-1e-300'],
    ['-1.5', '-1.5'],
    ['+2', '+2'],
    ['-3e5', '-3e5'],
    ['Adelie', 'Adelie'],
    ['a=b', 'a=b'],
    ['a,"b"', '"a,""b"""'],
    ['x\ny', '"x\ny"'],
    [true, 'true'],
    [null, ''],
    [undefined, ''],
  ])('leaves numbers, number text and other text as they are (RFC 4180 quoting only): %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('guards row names, class values and class names in results.csv, and leaves JSON as it is', () => {
    const shape = { columns: ['=bad', 'Gentoo'], named: true };
    expect(csvHead(shape)).toBe(`row,rowName,"'=bad",Gentoo\n`);
    const piece = csvPiece({ offset: 0, predictions: [{ '=bad': -0.5, Gentoo: 1.5 }], rowNames: ['@me'] }, shape);
    expect(piece).toBe(`0,"'@me",-0.5,1.5\n`);
    expect(csvPiece({ offset: 3, predictions: ['+x', -2], rowNames: ['-1', "'a"] }, { named: true })).toBe(`3,-1,"'+x"\n4,"''a",-2\n`);
    expect(JSON.parse(`[${jsonPiece({ offset: 0, predictions: ['=1+2'], rowNames: ['@me'] }, { named: true }, true)}]`)).toEqual([{ row: 0, rowName: '@me', prediction: '=1+2' }]);
  });

  it('reads back, after one leading quote is removed from each text cell that has one, as what was scored', () => {
    const names = ['=HYPERLINK("x")', "'q", "''qq", '-1.5', '@', 'plain', '\tt', ' sp '];
    const text = csvHead({ named: true }) + csvPiece({ offset: 0, predictions: names.map((_, i) => i - 0.5), rowNames: names }, { named: true });
    const rows = Papa.parse<string[]>(text.trimEnd(), { newline: '\n' }).data.slice(1);
    const unguard = (cell: string) => (cell.startsWith("'") ? cell.slice(1) : cell);
    expect(rows.map((r) => unguard(r[1] as string))).toEqual(names);
    expect(rows.map((r) => Number(r[2]))).toEqual(names.map((_, i) => i - 0.5));
  });
});
