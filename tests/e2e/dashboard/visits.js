// visits.js URL USER PASSWORD COUNTY_PASSWORD SHOTS -- the grid worker's
// offline visits page (central/dashboard_visits.c) in headless Chromium on
// a phone-sized viewport: open the list once online (the service worker
// keeps a copy), lose the network, record two visits, reload the page
// with no network (the kept copy: the same rendering, the two visits still
// queued), come back online and watch the queue empty, send one visit a
// second time (stored:false), and read the county's report: the grid's
// and the county's reached households each grew by exactly 2.  Prints
// "visit HOUSEHOLD ID" for each visit so visits.sh can count the stored
// contacts.  Exit 1 on any failed check.
const path = require('path');
const { chromium } = require(path.join(process.env.PW_DIR, 'node_modules', 'playwright-core'));

const [url, user, password, countyPassword, shots] = process.argv.slice(2);
const GRID = '439901101001001', COUNTY = '439901000000';
let failed = 0, n = 0;
function check(what, ok) {
  n++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!ok) failed++;
}

async function login(context, name, pw) {
  const page = await context.newPage();
  await page.goto(url + '/login');
  await page.fill('input[name=user]', name);
  await page.fill('input[name=password]', pw);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

// households reached in the county's report, by region code; with pack,
// those reached by a contact carrying it (知识宣传入户率), the grid's
async function reached(county, pack) {
  const out = {};
  for (const code of [GRID, COUNTY]) {
    const res = await county.request.get(`${url}/api/v1/report?scope=${code}&depth=0&format=json`);
    out[code] = (await res.json()).rows[0].reached;
  }
  if (pack) {
    const res = await county.request.get(`${url}/api/v1/report?scope=${GRID}&depth=0&format=json&pack=${pack}`);
    out.pack = (await res.json()).rows[0].reached_pack;
  }
  return out;
}

async function until(page, fn, arg, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await page.waitForTimeout(100))
    if (await page.evaluate(fn, arg).catch(() => false))
      return true;
  return false;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const county = await browser.newContext();
  await (await login(county, 'county', countyPassword)).close();

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await login(phone, user, password);
  const list = `${url}/grid/${GRID}/offline`;
  await page.goto(list);
  check('the offline visits page opens', (await page.textContent('h1')).includes('入户走访'));
  check('the service worker controls the page and kept a copy',
        await until(page, () => navigator.serviceWorker.controller !== null &&
                                caches.match(location.pathname).then(r => !!r), null, 15000));
  const kept = await page.evaluate(async () =>
    (await (await caches.match(location.pathname)).text()).match(/data-rendered="([^"]+)"/)[1]);
  // the last two households: e2e.dashboard.http visits the first ones
  const hhs = await page.$$eval('li[data-hh]', ls => ls.slice(-2).map(l => l.dataset.hh));
  check('two unreached households listed', hhs.length === 2 && hhs[0] !== hhs[1]);
  // the topic handed out at the first door, as on the online list
  const pack = await page.$eval(`li[data-hh="${hhs[0]}"] select[name=pack]`,
                                sel => [...sel.options].map(o => o.value).find(v => v));
  check('  each with a 宣传内容 select offering the installed packs', !!pack);
  const before = await reached(county, pack);

  await phone.setOffline(true);
  await phone.route('**/*', r => r.abort('internetdisconnected'));
  check('no network for the page',
        await page.evaluate(() => fetch('/healthz').then(() => false, () => true)));
  await page.selectOption(`li[data-hh="${hhs[0]}"] select[name=pack]`, pack);
  for (const hh of hhs)
    await page.tap(`li[data-hh="${hh}"] button`);
  check('two visits queued offline', await page.getAttribute('#visits', 'data-pending') === '2');
  check('  shown as 待上传', (await page.textContent(`li[data-hh="${hhs[1]}"] .st`)) === '已记录，待上传');
  const queued = await page.evaluate(g => JSON.parse(localStorage.getItem('anxin-visits:' + g)), GRID);
  check('  each with an id made on the phone',
        queued.length === 2 && queued.every(v => /^[0-9a-f-]{36}$/.test(v.id)));
  check(`  the first with its topic (${pack}), the second with none`,
        queued[0].household === hhs[0] && queued[0].pack === pack && queued[1].pack === '');

  await page.reload();
  check('reloaded with no network: the kept copy', await page.getAttribute('#visits', 'data-rendered') === kept);
  check('  the two visits still queued', await until(page, () => document.getElementById('visits').dataset.pending === '2', null, 5000));
  check('  and marked', (await page.textContent(`li[data-hh="${hhs[0]}"] .st`)) === '已记录，待上传');
  check('  the first with the topic it was recorded with, fixed',
        await page.$eval(`li[data-hh="${hhs[0]}"] select[name=pack]`, (s, p) => s.value === p && s.disabled, pack));
  check('  the status says offline', (await page.textContent('#sync')).startsWith('离线'));
  await page.screenshot({ path: path.join(shots, 'visits-offline.png'), fullPage: false });

  await phone.unroute('**/*');
  await phone.setOffline(false);
  check('back online: the queue empties',
        await until(page, () => document.getElementById('visits').dataset.pending === '0', null, 30000));
  check('  shown as 已上传', (await page.textContent(`li[data-hh="${hhs[0]}"] .st`)) === '已上传');
  await page.screenshot({ path: path.join(shots, 'visits-sent.png'), fullPage: false });

  // the answer to a send lost: the phone sends the same visit again
  const again = await page.evaluate(async v => {
    const csrf = document.getElementById('visits').dataset.csrf;
    const now = String(Math.floor(Date.now() / 1000));
    const res = await fetch('/visit/sync', { method: 'POST', body: new URLSearchParams(
      { csrf, id: v.id, household: v.household, pack: v.pack, at: String(v.at), now }) });
    return [res.status, await res.json()];
  }, queued[0]);
  check('a visit sent twice: 200, nothing stored', again[0] === 200 && again[1].stored === false &&
        again[1].id === queued[0].id);

  const after = await reached(county, pack);
  check(`the grid's reached households: ${before[GRID]} + 2`, after[GRID] === before[GRID] + 2);
  check(`the county's: ${before[COUNTY]} + 2`, after[COUNTY] === before[COUNTY] + 2);
  check(`the grid's households reached with ${pack}: ${before.pack} + 1 (the first visit only)`,
        after.pack === before.pack + 1);

  // logging out from the page leaves no copy of the list on the phone
  await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
  check('logged out: the kept copy deleted', page.url().endsWith('/login') &&
        await page.evaluate(async () => (await caches.keys()).length === 0 &&
                                         !Object.keys(localStorage).some(k => k.startsWith('anxin-visits'))));
  // and so does logging out from any other page (issue 17): open the list
  // again (kept by the service worker), go to the region page, log out there
  const again2 = await login(phone, user, password);
  await again2.goto(list);
  check('signed in again: the list kept again',
        await until(again2, () => navigator.serviceWorker.controller !== null &&
                                  caches.match(location.pathname).then(r => !!r), null, 15000));
  await again2.evaluate(() => localStorage.setItem('anxin-visits-done:x', '["1"]'));
  await again2.goto(url + '/');
  await Promise.all([again2.waitForNavigation(), again2.click('form[action="/logout"] button')]);
  check('logged out from the region page: the kept copy and the list deleted',
        again2.url().endsWith('/login') &&
        await until(again2, async () => (await caches.keys()).length === 0 &&
                                         !Object.keys(localStorage).some(k => k.startsWith('anxin-visits')),
                    null, 5000));
  for (const v of queued)
    console.log(`visit ${v.household} ${v.id}`);
  await browser.close();
  console.log(`${n - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch(e => { console.error(e); process.exit(1); });
