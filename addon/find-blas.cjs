// Prints gyp settings for the best BLAS on this machine (used by binding.gyp via <!(...)).
// Linux: OpenBLAS, preferring Debian's OpenMP build (the pthread build fights other threads).
const fs = require('node:fs');
const what = process.argv[2];
const candidates = [
  '/usr/lib/x86_64-linux-gnu/openblas-openmp',
  '/usr/lib/aarch64-linux-gnu/openblas-openmp',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread',
  '/usr/lib/aarch64-linux-gnu/openblas-pthread',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
  '/opt/homebrew/opt/openblas/lib',
];
const dir = candidates.find((d) => ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.dylib'].some((f) => fs.existsSync(`${d}/${f}`)));
if (what === 'dir') process.stdout.write(dir ?? '');
else if (what === 'lib') {
  if (!dir) process.stdout.write('');
  else if (fs.existsSync(`${dir}/libopenblas.so.0`) && !fs.existsSync(`${dir}/libopenblas.so`)) process.stdout.write(`-l:libopenblas.so.0`);
  else process.stdout.write('-lopenblas');
}
