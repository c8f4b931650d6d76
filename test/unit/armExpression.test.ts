import { describe, expect, it } from 'vitest';
import { ArmExpressionError, DeployTime, evaluate, parseExpression, Secret, type Scope } from '../../scripts/infra/armExpression.js';
import { defaultContext, resolveTemplate } from '../../scripts/infra/resolveTemplate.js';

const scope: Scope = {
  context: defaultContext,
  parameter: (name) => ({ name: 'app', empty: '', key: new Secret(`parameters('key')`), n: 3 })[name],
  variable: (name) => ({ list: ['a', '', 'b'], port: 80 })[name],
};
const run = (expression: string) => evaluate(parseExpression(expression), scope);

describe('ARM expressions', () => {
  it.each<[string, unknown]>([
    ["[format('st{0}-{1}', parameters('name'), 'x')]", 'stapp-x'],
    ["[concat('it''s ', parameters('name'))]", "it's app"],
    ["[if(empty(parameters('empty')), 'none', reference('x').y)]", 'none'],
    ["[filter(variables('list'), lambda('s', not(empty(lambdaVariables('s')))))]", ['a', 'b']],
    ["[createObject('a', createArray(1, 2), 'b', variables('port'))]", { a: [1, 2], b: 80 }],
    ["[length(createArray(variables('list'), 1))]", 2],
    ["[resourceId('Microsoft.Storage/storageAccounts/blobServices', 'st1', 'default')]", `/subscriptions/${defaultContext.subscriptionId}/resourceGroups/rg-test/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default`],
    ["[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')]", `/subscriptions/${defaultContext.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/r1`],
    ["[union(createObject('a', 1), createObject('b', 2))]", { a: 1, b: 2 }],
    ["[equals(toLower('AB'), 'ab')]", true],
    ["[json('2.0')]", 2],
    ['[variables(\'list\')[2]]', 'b'],
  ])('%s is %j', (expression, value) => {
    expect(run(expression)).toEqual(value);
  });

  it('leaves to the deployment what only it knows, and keeps the resource a reference reads', () => {
    const v = run("[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id1'), '2023-01-31').clientId]");
    expect(v).toBeInstanceOf(DeployTime);
    expect((v as DeployTime).reference).toEqual({ id: expect.stringMatching(/userAssignedIdentities\/id1$/), path: ['clientId'] });
    expect(run("[format('x{0}', reference('r').a)]")).toBeInstanceOf(DeployTime);
  });

  it('keeps a secret a secret through whatever is made of it, and treats list*() as one', () => {
    expect(run("[format('Key={0}', parameters('key'))]")).toBeInstanceOf(Secret);
    expect(run("[createArray(1, concat('a', parameters('key')))]")).toEqual([1, expect.any(Secret)]);
    expect(run("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st1'), '2023-05-01').keys[0].value]")).toBeInstanceOf(Secret);
  });

  it('refuses what is not an expression', () => {
    expect(() => parseExpression("[format('a'")).toThrow(ArmExpressionError);
    expect(() => parseExpression("[concat('a') extra]")).toThrow(ArmExpressionError);
  });

  it('resolves a template: parameters, copy loops, conditions, and a module\'s outputs', () => {
    const resolved = resolveTemplate({
      parameters: { prefix: { type: 'string', defaultValue: 'q' }, on: { type: 'bool', defaultValue: false }, secret: { type: 'securestring' } },
      variables: { names: ['a', 'b'] },
      resources: [
        { type: 'Microsoft.Storage/storageAccounts/queueServices/queues', apiVersion: '2023-05-01', name: "[format('st/default/{0}-{1}', parameters('prefix'), variables('names')[copyIndex()])]", copy: { name: 'qs', count: "[length(variables('names'))]" } },
        { type: 'Microsoft.Web/sites', apiVersion: '2024-04-01', name: 'off', condition: "[parameters('on')]" },
        {
          type: 'Microsoft.Resources/deployments', apiVersion: '2025-04-01', name: 'mod',
          properties: { expressionEvaluationOptions: { scope: 'inner' }, parameters: { x: { value: "[parameters('prefix')]" } }, template: { parameters: { x: { type: 'string' } }, resources: [], outputs: { y: { type: 'string', value: "[format('{0}!', parameters('x'))]" } } } },
        },
      ],
      outputs: { fromModule: { type: 'string', value: "[reference(resourceId('Microsoft.Resources/deployments', 'mod'), '2025-04-01').outputs.y.value]" }, hidden: { type: 'string', value: "[parameters('secret')]" } },
    }, { prefix: 'p' });
    expect(resolved.resources.map((r) => [r.name, r.deployed])).toEqual([['st/default/p-a', true], ['st/default/p-b', true], ['off', false], ['mod', true]]);
    expect(resolved.outputs.fromModule).toBe('p!');
    expect(resolved.outputs.hidden).toBeInstanceOf(Secret);
    expect(() => resolveTemplate({ resources: [] }, { nope: 1 })).toThrow(/declares no parameter nope/);
  });
});
