// Locates the model packages and Python parity fixtures the integration tests run on. The bundled students
// (resources/models) and their fixture (test/fixtures/parity) are part of the repository, so a missing one
// fails the tests, saying what is missing, instead of skipping them. The random-weight development package
// built by native-models (git-ignored) adds its own fixture when it is there.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ParityItem {
  name: string;
  image: string;
  width: number;
  height: number;
  question: string;
  input_ids: number[];
  grid_thw: [number, number, number];
  position_ids_max: number;
  pixel_values: { shape: [number, number]; sum: number; abs_sum: number; first: number[] };
  prefill_logits: number[];
  /** [layer][head][key]: the last prompt token's softmax over all keys. */
  prefill_attention: number[][][];
  answer_ids: number[];
  answer: string;
}

export interface ParityFixture {
  format: string;
  package: string;
  tolerance: number;
  items: ParityItem[];
  /** Folder holding the fixture (images are relative to it). */
  dir: string;
  /** The model package the fixture was written for. */
  modelDir: string;
}

function readFixture(file: string, modelDir: string): ParityFixture {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Omit<ParityFixture, 'dir' | 'modelDir'>;
  return { ...parsed, dir: dirname(file), modelDir };
}

/** Every (package, fixture) pair available, students first. */
export function findParityFixtures(): ParityFixture[] {
  const out: ParityFixture[] = [];
  const parityRoot = join(ROOT, 'test/fixtures/parity');
  if (existsSync(parityRoot)) {
    const candidates = [
      parityRoot,
      ...readdirSync(parityRoot, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(parityRoot, d.name)),
    ];
    for (const dir of candidates) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
        const file = join(dir, f);
        const fx = JSON.parse(readFileSync(file, 'utf8')) as { format?: string; package?: string; items?: unknown };
        if (fx.format !== 'loupe-parity/1' || !Array.isArray(fx.items) || typeof fx.package !== 'string') continue;
        // `package` may be absolute (the writer's machine) or a path relative to the repository.
        const byName = join(ROOT, 'resources/models', fx.package.split('/').filter(Boolean).pop() ?? '');
        const modelDir = [resolve(ROOT, fx.package), byName].find((d) => existsSync(join(d, 'config.json')));
        if (modelDir) out.push(readFixture(file, modelDir));
      }
    }
  }
  if (out.length === 0) {
    throw new Error(
      `No parity fixture for a bundled student under ${parityRoot}: it is part of the repository (git checkout -- test/fixtures).`,
    );
  }
  const devModel = join(ROOT, 'native-models/build/random-tiny');
  const devFixture = join(ROOT, 'native-models/build/random-tiny-parity/fixture.json');
  if (existsSync(join(devModel, 'config.json')) && existsSync(devFixture)) out.push(readFixture(devFixture, devModel));
  return out;
}

/** The bundled R2I student: the model package the integration tests that need one run on. */
export function findModelDir(): string {
  const dir = join(ROOT, 'resources/models/loupe-tiny-r2i');
  if (!existsSync(join(dir, 'onnx/decoder_model_merged.onnx'))) {
    throw new Error(`${dir} is missing: the bundled students are part of the repository (git checkout -- resources/models).`);
  }
  return dir;
}
