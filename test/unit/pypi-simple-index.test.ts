import { describe, expect, it } from 'vitest';
import { parsePipConfigList } from '../../src/config/pip-index-default.js';
import { latestPypiVersion } from '../../src/registry/pypi-registry-client.js';
import {
  groupByVersion,
  normalizePypiName,
  parseCoreMetadata,
  parseSimpleHtml,
  parseSimpleJson,
  versionFromFilename,
} from '../../src/registry/pypi-simple-index.js';

describe('PyPI simple index parsing', () => {
  it('normalises names (PEP 503)', () => {
    expect(normalizePypiName('Awslabs.OpenAPI__MCP-server')).toBe('awslabs-openapi-mcp-server');
  });

  it('parses PEP 503 HTML with yanking and core metadata', () => {
    const html = `<a href="../../packages/a_b-1.0.0-py3-none-any.whl#sha256=aa" data-core-metadata="sha256=bb">a_b-1.0.0-py3-none-any.whl</a>
      <a href="https://files.example/a-b-1.1.tar.gz#sha256=cc" data-yanked="">a-b-1.1.tar.gz</a>
      <a href="a_b-2.0-py3-none-any.whl" data-requires-python="&gt;=3.9" data-yanked>a_b-2.0-py3-none-any.whl</a>`;
    const files = parseSimpleHtml(html, 'http://idx.test/simple/a-b/');
    expect(files).toEqual([
      {
        filename: 'a_b-1.0.0-py3-none-any.whl',
        url: 'http://idx.test/packages/a_b-1.0.0-py3-none-any.whl',
        yanked: false,
        hasMetadata: true,
      },
      {
        filename: 'a-b-1.1.tar.gz',
        url: 'https://files.example/a-b-1.1.tar.gz',
        yanked: true,
        hasMetadata: false,
      },
      {
        filename: 'a_b-2.0-py3-none-any.whl',
        url: 'http://idx.test/simple/a-b/a_b-2.0-py3-none-any.whl',
        yanked: true,
        hasMetadata: false,
      },
    ]);
    expect([...groupByVersion(files, 'A.B').keys()]).toEqual(['1.0.0', '1.1', '2.0']);
  });

  it('parses PEP 691 JSON with upload times', () => {
    const doc = {
      files: [
        {
          filename: 'x-1.0-py3-none-any.whl',
          url: 'x-1.0-py3-none-any.whl',
          yanked: 'bad',
          'core-metadata': { sha256: 'a' },
          'upload-time': '2026-01-01T00:00:00Z',
        },
      ],
    };
    expect(parseSimpleJson(doc, 'https://idx.test/simple/x/')).toEqual([
      {
        filename: 'x-1.0-py3-none-any.whl',
        url: 'https://idx.test/simple/x/x-1.0-py3-none-any.whl',
        yanked: true,
        hasMetadata: true,
        uploadTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('reads versions from filenames of this project only', () => {
    expect(versionFromFilename('fixture_py_mcp-2.0.0b1-py3-none-any.whl', 'fixture-py-mcp')).toBe('2.0.0b1');
    expect(versionFromFilename('fixture_py_mcp-1.0-1-py3-none-any.whl', 'fixture-py-mcp')).toBe('1.0');
    expect(versionFromFilename('other-1.0-py3-none-any.whl', 'fixture-py-mcp')).toBeUndefined();
    expect(versionFromFilename('fixture-py-mcp-1.0.zip', 'fixture-py-mcp')).toBe('1.0');
  });

  it('reads Summary and description from core metadata', () => {
    expect(parseCoreMetadata('Metadata-Version: 2.1\nName: x\nSummary: A server\n\nLong text\n')).toEqual({
      name: 'x',
      summary: 'A server',
      description: 'Long text',
    });
    expect(parseCoreMetadata('Name: x\n')).toEqual({ name: 'x' });
  });

  it('picks the newest stable, non-yanked version as latest', () => {
    expect(latestPypiVersion(['1.0', '1.1', '2.0b1', '1.2'], ['1.2'])).toBe('1.1');
    expect(latestPypiVersion(['2.0b1'], [])).toBe('2.0b1');
  });
});

describe('parsePipConfigList', () => {
  it('takes index-url and every extra-index-url, environment over install over global', () => {
    const text = [
      ":env:.find-links='/opt/wheels'",
      "global.cert='/etc/ssl/certs/ca-certificates.crt'",
      "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple/'",
      "global.index-url='https://mirror.example/simple'",
      "install.index-url='https://install.example/simple/'",
    ].join('\n');
    expect(parsePipConfigList(text)).toEqual({
      indexUrl: 'https://install.example/simple',
      extraIndexUrls: ['file:///opt/pypi/simple', 'file:///opt/pypi-more/simple'],
    });
    expect(parsePipConfigList('')).toEqual({ extraIndexUrls: [] });
    // pip.conf continuation lines: the value spans several lines of the listing.
    expect(parsePipConfigList("global.extra-index-url='\\nhttp://a/x\\nfile:///b/c'\n")).toEqual({
      extraIndexUrls: ['http://a/x', 'file:///b/c'],
    });
  });
});
