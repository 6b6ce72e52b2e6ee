import { pluginShapeProblems } from '../../src/plugins/plugin-shape';
import { connectTestPlugin, newConnectTestPluginState } from '../support/connect-test-plugin';

/** A plugin's `connectionSettings` is checked when it loads: a bad one stops start-up naming what is wrong. */
describe('plugin shape: connectionSettings', () => {
  const plugin = () => connectTestPlugin(newConnectTestPluginState());

  it('accepts a plugin with connection settings and a form, and one without', () => {
    expect(pluginShapeProblems(plugin())).toEqual([]);
    expect(pluginShapeProblems({ ...plugin(), connectionSettings: undefined })).toEqual([]);
  });

  it('names each problem', () => {
    const spec = plugin().connectionSettings!;
    expect(pluginShapeProblems({ ...plugin(), connectionSettings: 'yes' })).toEqual(['connectionSettings, when present, must be an object (got "yes")']);
    expect(
      pluginShapeProblems({
        ...plugin(),
        connectionSettings: {
          secrets: 'apiToken',
          validate: undefined,
          embedSnippet: '<script>',
          fields: [{ key: '', type: 'color', label: { nl: 'Kleur' } }],
        },
      }),
    ).toEqual([
      'connectionSettings.secrets must be a list of setting names ([] for none) (got "apiToken")',
      'connectionSettings.validate(settings, context) must be a function',
      'connectionSettings.embedSnippet, when present, must be a function',
      'connectionSettings.fields[0].key must be a setting name',
      'connectionSettings.fields[0].type must be one of text, textarea, lines, checkbox, number, secret (got "color")',
      "connectionSettings.fields[0].label must have an English text: { en: '…' }",
    ]);
    expect(pluginShapeProblems({ ...plugin(), connectionSettings: { ...spec, fields: {} } })).toEqual([
      'connectionSettings.fields, when present, must be a list (got {})',
    ]);
  });
});
