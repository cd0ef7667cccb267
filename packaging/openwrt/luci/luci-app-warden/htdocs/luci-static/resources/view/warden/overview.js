'use strict';
'require view';
'require form';
'require uci';

// warden's settings in LuCI: on or off, the kind of place, what unknown
// devices may do, automatic quarantine; and a link to warden's dashboard,
// where each device, alert and quarantine is explained. Saving writes
// /etc/config/warden; procd's reload trigger makes the gateway re-read it
// (a bad value keeps the running configuration, and the system log says why).
return view.extend({
	load: function() {
		return uci.load('warden');
	},

	render: function() {
		var web = uci.get('warden', 'main', 'web_listen') || '';
		var m, s, o;

		m = new form.Map('warden', _('warden'),
			_('Keeps the devices on this network to what their makers say they need (MUD), watches for devices that behave like bots, and isolates them.'));

		s = m.section(form.NamedSection, 'main', 'gateway', _('Gateway'));

		o = s.option(form.Flag, 'enabled', _('Enabled'),
			_('Turn on once the addresses below are this network\'s.'));
		o.rmempty = false;

		o = s.option(form.ListValue, 'deployment', _('Where this network is'),
			_('The same device is a different risk at home and in a hospital.'));
		o.value('home', _('Home'));
		o.value('office', _('Office'));
		o.value('healthcare', _('Healthcare'));
		o.value('industrial', _('Industrial'));

		o = s.option(form.ListValue, 'unknown_devices', _('Devices without a MUD file'));
		o.value('observe', _('Watch only'));
		o.value('internet-only', _('The internet, but no other device here'));
		o.value('block', _('Nothing until a MUD file comes'));

		s = m.section(form.TypedSection, 'quarantine', _('Quarantine'));
		s.anonymous = true;
		o = s.option(form.Flag, 'automatic', _('Isolate a device that scans, floods or guesses passwords'));
		o.rmempty = false;

		if (web) {
			var host = web.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
			var port = (web.match(/:(\d+)$/) || [])[1] || '443';
			var url = 'https://' + (host === '0.0.0.0' || host === '::' ? window.location.hostname : host) + ':' + port + '/';
			s = m.section(form.NamedSection, 'main', 'gateway', _('Dashboard'));
			o = s.option(form.DummyValue, '_dashboard', _('warden\'s own pages'));
			o.rawhtml = true;
			o.cfgvalue = function() {
				return E('a', { 'href': url, 'target': '_blank', 'rel': 'noopener' }, url).outerHTML;
			};
		}

		return m.render();
	}
});
