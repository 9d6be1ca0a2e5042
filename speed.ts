import * as tf from '@tensorflow/tfjs-core';
import { activateBackend, listBackends } from '/work/main/src/main/training/backend';
import { train } from '/work/main/src/main/training/trainer';
import { loadSynthetic } from '/work/main/src/main/data/synthetic';
import { TrainParams } from '/work/main/src/shared/domain';
const [which, config, width, batch] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])];
const all = await listBackends();
const b = await activateBackend(tf, all.find(x=>x.name===which)!);
console.log(b.device);
const data = loadSynthetic({variant:'basic', size:32, classes:10, train: batch*40, val:64, seed:1});
const params = TrainParams.parse({config, width, inputSize:32, epochs:2, batch, schedule:'none'});
const done = await train({tf, params, data, post:(m)=>{ if(m.type==='metrics' && m.points.some(p=>p.name==='images_per_sec')) console.log(m.points.filter(p=>p.name==='images_per_sec' || p.name==='top1').map(p=>`${p.split}.${p.name}=${p.value.toFixed(3)}`).join(' ')); }, stopRequested:()=>false});
console.log(done.status, done.error);
process.exit(0)
