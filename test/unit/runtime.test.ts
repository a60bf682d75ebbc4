// The project runs on Node.js 24 LTS, also where the machine's own node is older: npm scripts put
// node_modules/.bin (the `node` dev dependency) first on PATH. This prints and holds that.
describe('runtime', () => {
  it('runs the suite on Node.js 24', () => {
    process.stdout.write(`runtime: Node.js ${process.version}\n`);
    expect(process.version).toMatch(/^v24\./);
  });
});
