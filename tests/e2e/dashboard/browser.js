// browser.js URL USER PASSWORD SHOTS -- the dashboard driven by headless
// Chromium through playwright-core (no downloaded browser: Debian's
// chromium, $CHROMIUM): log in, drill down county -> township -> village,
// download the XLSX ledger, a screenshot of each page.  Exit 1 on any
// failed check.
const path = require('path');
const fs = require('fs');
const { chromium } = require(path.join(process.env.PW_DIR, 'node_modules', 'playwright-core'));

const [url, user, password, shots] = process.argv.slice(2);
let failed = 0, n = 0;
function check(what, ok) {
  n++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!ok) failed++;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true });
  await page.goto(url + '/login');
  check('login page shows the form', await page.isVisible('input[name=password]'));
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check('logged in: the county page', page.url().includes('/region/439901000000'));
  check('county page names 江州县', (await page.textContent('body')).includes('江州县'));
  await page.screenshot({ path: path.join(shots, 'browser-county.png') });

  const township = '/region/439901101000';
  await Promise.all([page.waitForNavigation(), page.click(`a[href^="${township}"]`)]);
  check('drilled down to 石桥镇', (await page.textContent('body')).includes('石桥镇'));
  await page.screenshot({ path: path.join(shots, 'browser-township.png') });

  const villages = await page.$$eval('a[href^="/region/439901101"]', as =>
    as.map(a => a.getAttribute('href')).filter(h => /^\/region\/439901101\d{3}(\?.*)?$/.test(h) && !/000(\?|$)/.test(h)));
  check('the township lists its villages', villages.length > 0);
  if (villages.length) {
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${villages[0]}"]`)]);
    check('drilled down to a village', page.url().includes(villages[0].split('?')[0]));
    await page.screenshot({ path: path.join(shots, 'browser-village.png') });
  }

  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('a[href*="format=xlsx"]')]);
  const file = await dl.path();
  const head = fs.readFileSync(file).subarray(0, 2).toString('latin1');
  check('the XLSX ledger downloads as a zip', head === 'PK' && fs.statSync(file).size > 2000);
  await browser.close();
  console.log(`${n - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch(e => { console.error(e); process.exit(1); });
