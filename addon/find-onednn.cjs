// Prints 1 where the native addon should use oneDNN for its convolutions (header and library
// found, and VGGLAB_NO_ONEDNN not set), else 0. Used by binding.gyp via <!(...).
const fs = require('node:fs');
const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/opt/homebrew/lib'];
const header = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'].some((d) => fs.existsSync(`${d}/oneapi/dnnl/dnnl.hpp`));
const lib = dirs.some((d) => ['libdnnl.so', 'libdnnl.dylib'].some((f) => fs.existsSync(`${d}/${f}`)));
process.stdout.write(!process.env.VGGLAB_NO_ONEDNN && header && lib ? '1' : '0');
