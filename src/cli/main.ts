#!/usr/bin/env node
/**
 * attnmt: one command with sub-commands, like Joey NMT's train | test | translate modes.
 * Each sub-command lives in its own file and is loaded only when used (fast `--help`).
 *
 * Exit codes: 0 success, 1 bad input or usage, 2 internal error, 130 interrupted (see errors.ts).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Argument, Command, CommanderError, Option } from 'commander';
import { describeError } from './errors.js';
import { collect, nonNegativeInt, nonNegativeNumber, parseLayer, positiveInt } from './options.js';
import { scoreCommand } from './score.js';

export function buildProgram(): Command {
  const program = new Command('attnmt')
    .description('Neural machine translation with attention: train, translate, evaluate and inspect RNN encoder-decoders')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('train')
    .description('train a model from a YAML/JSON config; flags override the file')
    .argument('[config]', 'config file (YAML or JSON); see configs/*.yaml')
    .option('--train <file>', 'training corpus (data.train)')
    .option('--dev <file>', 'development corpus (data.dev)')
    .option('--out <dir>', 'output directory for checkpoints and logs (training.outDir)')
    .option('--max-steps <n>', 'stop after N steps (training.maxSteps)', positiveInt)
    .option('--max-time <seconds>', 'stop after this many seconds (training.maxTime)', nonNegativeNumber)
    .option('--threads <n>', 'compute threads (training.threads)', positiveInt)
    .option('--seed <n>', 'random seed (training.seed)', nonNegativeInt)
    .option('--resume [checkpoint]', 'continue from a checkpoint (default: <outDir>/last.safetensors); its model must match the config\'s')
    .option('--checkpoint-config', 'with --resume: train the checkpoint\'s model even where the config\'s model section differs')
    .option('--overwrite', 'start a new run in an outDir that holds one, or resume another run\'s checkpoint there (deletes its checkpoints and valid.jsonl)')
    .option('--set <key=value>', 'override any config key, e.g. --set model.hidden=128 (repeatable)', collect, [])
    .option('--snapshot-sentence <text>', 'write the attention of this sentence at step 0 and every --snapshot-every steps to <outDir>/snapshots.json')
    .option('--snapshot-every <n>', 'steps between attention snapshots (default 50)', positiveInt)
    .action(async (config: string | undefined, opts: Record<string, unknown>, cmd: Command) => {
      // Nothing to train on: the usage says what to give.
      if (config === undefined && opts['train'] === undefined) cmd.help({ error: true });
      const { trainCommand } = await import('./train.js');
      await trainCommand(config, opts);
    });

  program
    .command('translate')
    .description('translate sentences (one per line) from stdin or --input to stdout or --output')
    .requiredOption('--model <files...>', 'checkpoint (.safetensors); several: decode with their ensemble (same vocabularies)')
    .option('--input <file>', 'source sentences, one per line (default: stdin)')
    .option('--output <file>', 'write translations here (default: stdout)')
    .option('--beam <k>', 'beam size (1: greedy)', positiveInt)
    .option('--nbest <n>', 'print the N best translations per sentence as "i ||| text ||| score"', positiveInt)
    .option('--alpha <a>', 'length penalty exponent', nonNegativeNumber)
    .option('--batch-size <n>', 'sentences translated together', positiveInt)
    .option('--attention <file>', 'write the attention weights of every sentence as JSON')
    .option('--threads <n>', 'compute threads', positiveInt)
    .action(async (opts: unknown) => {
      const { translateCommand } = await import('./translate.js');
      await translateCommand(opts);
    });

  program
    .command('eval')
    .description('translate a test set and score it with BLEU and chrF')
    .requiredOption('--model <files...>', 'checkpoint (.safetensors); several: score their ensemble')
    .requiredOption('--test <file>', 'test set: a TSV file (source<TAB>reference; repeated sources = several references)')
    .option('--columns <src,tgt>', 'TSV columns of source and reference (default "0,1")')
    .option('--beam <k>', 'beam size (1: greedy)', positiveInt)
    .option('--alpha <a>', 'length penalty exponent', nonNegativeNumber)
    .option('--by-length', 'also report BLEU per source-length bucket (1-5, 6-10, 11-15, 16-20, 21-30, 31+)')
    .option('--model2 <file>', 'a second checkpoint (e.g. the fixed-context baseline) scored on the same test set, side by side')
    .option('--chart <file>', 'write BLEU by source length as an SVG chart (implies --by-length)')
    .option('--output <file>', 'write the translations here')
    .option('--json', 'print the scores as JSON')
    .option('--limit <n>', 'score only the first N sources', positiveInt)
    .option('--threads <n>', 'compute threads', positiveInt)
    .action(async (opts: unknown) => {
      const { evalCommand } = await import('./eval.js');
      await evalCommand(opts);
    });

  program
    .command('align')
    .description('word alignments from attention (teacher-forced on source<TAB>target pairs) in Pharaoh i-j format; AER with --gold')
    .requiredOption('--model <file>', 'checkpoint (.safetensors) of an attention model')
    .option('--input <file>', 'pairs, one "source<TAB>target" per line (default: stdin)')
    .addOption(new Option('--method <m>', 'hard alignment: t2s (argmax per target word), grow-diag, intersection or union').choices(['t2s', 'grow-diag', 'intersection', 'union']).default('t2s'))
    .option('--gold <file>', 'gold alignments, one line per pair (i-j sure, i?j possible): print the alignment error rate')
    .option('--output <file>', 'write the Pharaoh lines here')
    .option('--json', 'print the result as JSON')
    .option('--threads <n>', 'compute threads', positiveInt)
    .option('--layer <l|mean>', 'Transformer: align with this decoder layer\'s head-mean cross-attention (from 0), or "mean" of all; default: the model\'s alignment layer', parseLayer)
    .action(async (opts: unknown) => {
      const { alignCommand } = await import('./align.js');
      await alignCommand(opts);
    });

  program
    .command('attention')
    .description('translate one sentence and draw its attention matrix in the terminal (and as SVG/PNG files); --animate: draw the snapshots of a training as an animated SVG')
    .option('--model <file>', 'checkpoint (.safetensors)')
    .argument('[sentence...]', 'the source sentence')
    .option('--svg <file>', 'write the heatmap as SVG here')
    .option('--png <file>', 'write the heatmap as PNG here')
    .option('--beam <k>', 'beam size (1: greedy)', positiveInt)
    .option('--animate <snapshots>', 'snapshots.json of attnmt train --snapshot-sentence: write them to --svg as one animated SVG (no model needed)')
    .addOption(new Option('--kind <kind>', 'Transformer: which attention to draw (cross: target over source; encoder-self; decoder-self)').choices(['cross', 'encoder-self', 'decoder-self']))
    .option('--layer <l>', 'Transformer: draw layer L (from 0; default: the alignment layer), the mean of its heads', nonNegativeInt)
    .option('--head <h>', 'Transformer: with --layer, draw this one head (from 0)', nonNegativeInt)
    .option('--grid', 'Transformer: draw every layer x head of the kind as one picture (--svg/--png)')
    .action(async (sentence: string[], opts: unknown) => {
      const { attentionCommand } = await import('./attention.js');
      await attentionCommand(sentence.join(' '), opts);
    });

  program
    .command('explain')
    .description('translate one sentence and show every decoder step: state, scores, softmax weights, context, feed-forward, top words')
    .requiredOption('--model <file>', 'checkpoint (.safetensors): attention, fixed-context baseline or Transformer')
    .argument('<sentence...>', 'the source sentence')
    .option('--step <k>', 'only decoder step K (1-based)', positiveInt)
    .option('--target <text>', 'force this translation (teacher forcing) and show the probability of each of its words')
    .option('--top <n>', 'next-word candidates shown per step', positiveInt, 5)
    .option('--beam <k>', 'explain the best hypothesis of a beam search of size K (forced); default greedy', positiveInt)
    .option('--layer <l>', 'Transformer: the decoder layer whose cross-attention the steps show (default: the alignment layer)', nonNegativeInt)
    .option('--json <file>', 'also write every step as JSON here')
    .option('--threads <n>', 'compute threads', positiveInt)
    .action(async (sentence: string[], opts: unknown) => {
      const { explainCommand } = await import('./explain.js');
      await explainCommand(sentence.join(' '), opts);
    });

  program
    .command('average')
    .description('average the parameters of several checkpoints of one run (e.g. the last few validations) into one model')
    .argument('<checkpoints...>', 'checkpoints (.safetensors) of the same model')
    .requiredOption('--output <file>', 'write the averaged model here')
    .action(async (checkpoints: string[], opts: unknown) => {
      const { averageCommand } = await import('./average.js');
      averageCommand(checkpoints, opts);
    });

  program
    .command('quantize')
    .description('write an int8 copy of a checkpoint (weight matrices int8 with per-output-row scales, about 4x smaller) for faster decoding')
    .requiredOption('--input <file>', 'float32 checkpoint (.safetensors)')
    .requiredOption('--output <file>', 'write the int8 checkpoint here')
    .action(async (opts: unknown) => {
      const { quantizeCommand } = await import('./quantize.js');
      quantizeCommand(opts);
    });

  program.addCommand(scoreCommand().exitOverride());

  const data = program.command('data').description('get the corpora the configs in configs/ train on');
  data
    .command('get')
    .description('download a public corpus (or write the built-in seed corpus) in the layout configs/*.yaml read; records URLs, sizes and SHA-256 in DIR/MANIFEST.json')
    .addArgument(new Argument('<corpus>', 'seed (generated), tatoeba-eng-fra (PyTorch tutorial pairs) or multi30k (task 1 raw files)').choices(['seed', 'tatoeba-eng-fra', 'multi30k']))
    .option('--out <dir>', 'output directory (default: data/<corpus>)')
    .option('--url <url>', 'download from here instead (tatoeba: the zip; multi30k: the directory of the .gz files); a local path works offline')
    .option('--sha256 <hex>', 'expected SHA-256 of the download (tatoeba); a mismatch is an error')
    .action(async (corpus: string, opts: unknown) => {
      const { dataGetCommand } = await import('./data.js');
      await dataGetCommand(corpus, opts);
    });

  program
    .command('serve')
    .description('HTTP API and web page for translating and inspecting attention')
    .requiredOption('--model <file>', 'checkpoint (.safetensors): an attention model or a fixed-context baseline')
    .option('--model2 <file>', 'a second checkpoint, to compare attention with the baseline side by side')
    .option('--port <n>', 'port (0: any free port, printed at start)', nonNegativeInt, 8080)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--allowed-hosts <names>',
      'comma-separated Host names to answer besides localhost, 127.0.0.1 and [::1] ("*": any); guards against DNS rebinding',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map((h) => h.trim()).filter((h) => h !== '')],
    )
    .option('--workers <n>', 'worker threads per model (the last one keeps short requests fast)', positiveInt, 2)
    .action(async (opts: unknown) => {
      const { serveCommand } = await import('./serve.js');
      await serveCommand(opts);
    });

  program
    .command('demo')
    .description('train attention and fixed-context models on the built-in corpus and compare them (about 3 minutes)')
    .option('--out <dir>', 'where models, SVG and report go', 'runs/demo')
    .option('--time <seconds>', 'training time budget for both models together', nonNegativeNumber, 170)
    .option('--seed <n>', 'random seed', nonNegativeInt, 1)
    .addOption(new Option('--arch <family>', 'the attention model: rnn (Bahdanau attention) or transformer (multi-head attention); the baseline is the RNN fixed-context model').choices(['rnn', 'transformer']).default('rnn'))
    .addOption(new Option('--quiet', 'no progress output').hideHelp())
    .action(async (opts: unknown) => {
      const { demoCommand } = await import('./demo.js');
      await demoCommand(opts);
    });

  return program;
}

/** Run the command line; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed the usage problem (or the help/version text).
      return err.exitCode === 0 ? 0 : 1;
    }
    const { code, message } = describeError(err);
    process.stderr.write(`${message}\n`);
    return code;
  }
}

/** True when this file is the program being run (directly or through the npm bin symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`internal error: ${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
