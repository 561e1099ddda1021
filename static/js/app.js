// Upright: small progressive enhancements. Every page works without this file.
// Loads the outbox (./sync-core.js puts it on self.UprightSync), registers the service worker,
// then wires the offline forms, the install button, the update banner and the offline copy of
// the appointments.
import './record-fields.js';
import './sync-core.js';
import { startOutbox } from './offline-forms.js';
import { startInstall } from './install.js';
import { startUpdates } from './update.js';
import { startAppointmentsCopy } from './appointments-copy.js';
import { startSharedPhone } from './shared-phone.js';
import { startDeviceNav } from './device-nav.js';
import { startTextSize } from './text-size.js';
import { startCopyButtons } from './copy.js';

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return null;
  try {
    return await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch (error) {
    return null; // the site still works, only not offline
  }
}

const registration = registerWorker();
startOutbox();
startInstall();
startAppointmentsCopy();
startSharedPhone().catch(() => {});
startDeviceNav();
startTextSize();
startCopyButtons();
registration.then(startUpdates);
