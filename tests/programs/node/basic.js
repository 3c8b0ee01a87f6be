// node under picos: the event loop (epoll, eventfd), fs, child_process,
// worker_threads and an http server and client on 127.0.0.1.  Prints only
// what is the same natively and under picos.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const cp = require('child_process');
const { Worker } = require('worker_threads');

async function main() {
	// fs: sync and promise APIs in the current directory.
	const dir = fs.mkdtempSync(path.join('.', 'node-'));
	fs.writeFileSync(path.join(dir, 'a.txt'), 'alpha\n');
	await fs.promises.appendFile(path.join(dir, 'a.txt'), 'beta\n');
	console.log('fs', JSON.stringify(await fs.promises.readFile(path.join(dir, 'a.txt'), 'utf8')),
		fs.readdirSync(dir).join(','), fs.statSync(path.join(dir, 'a.txt')).size);
	fs.rmSync(dir, { recursive: true });

	// child_process: spawn with pipes, exec through a shell, exit codes.
	console.log('execSync', cp.execSync('echo hi; echo there | tr a-z A-Z').toString().trim().replace(/\n/g, '|'));
	const r = cp.spawnSync('sh', ['-c', 'cat; exit 3'], { input: 'piped in' });
	console.log('spawnSync', r.status, r.stdout.toString());
	await new Promise((res) => {
		const c = cp.spawn('sh', ['-c', 'echo out; echo err >&2; exit 5']);
		let o = '', e = '';
		c.stdout.on('data', (d) => (o += d));
		c.stderr.on('data', (d) => (e += d));
		c.on('close', (code) => { console.log('spawn', code, o.trim(), e.trim()); res(); });
	});

	// worker_threads: messages both ways, shared memory with Atomics.
	const sab = new SharedArrayBuffer(8);
	const counts = new Int32Array(sab);
	const workers = [0, 1, 2].map((i) => new Worker(`
		const { parentPort, workerData } = require('worker_threads');
		const a = new Int32Array(workerData.sab);
		for (let k = 0; k < 10000; k++) Atomics.add(a, 0, 1);
		parentPort.postMessage(workerData.i * workerData.i);
	`, { eval: true, workerData: { sab, i } }));
	const msgs = workers.map((w) => new Promise((res) => w.on('message', res)));
	const exits = workers.map((w) => new Promise((res) => w.on('exit', res)));
	const sq = await Promise.all(msgs);
	await Promise.all(exits);
	console.log('workers', sq.join(','), Atomics.load(counts, 0));

	// http: a server on 127.0.0.1 and requests with keep-alive.
	const srv = http.createServer((req, res) => {
		let body = '';
		req.on('data', (d) => (body += d));
		req.on('end', () => res.end(`${req.method} ${req.url} ${body.length}`));
	});
	await new Promise((res) => srv.listen(0, '127.0.0.1', res));
	const port = srv.address().port;
	const agent = new http.Agent({ keepAlive: true });
	const get = (p, body) => new Promise((res, rej) => {
		const q = http.request({ host: '127.0.0.1', port, path: p, method: body ? 'POST' : 'GET', agent }, (resp) => {
			let d = '';
			resp.on('data', (c) => (d += c));
			resp.on('end', () => res(`${resp.statusCode} ${d}`));
		});
		q.on('error', rej);
		q.end(body);
	});
	for (const p of ['/a', '/b?x=1'])
		console.log('http', await get(p));
	console.log('http', await get('/post', 'x'.repeat(100000)));
	const many = await Promise.all(Array.from({ length: 16 }, (_, i) => get('/' + i)));
	console.log('http concurrent', many.length, many.every((s) => s.startsWith('200 GET /')));
	agent.destroy();
	await new Promise((res) => srv.close(res));

	// timers and the event loop order.
	const order = [];
	setTimeout(() => order.push('timeout'), 5);
	setImmediate(() => order.push('immediate'));
	process.nextTick(() => order.push('tick'));
	await new Promise((res) => setTimeout(res, 30));
	console.log('order', order.join(','));
}
main().then(() => console.log('done'), (e) => { console.error(e); process.exit(1); });
