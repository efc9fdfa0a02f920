# An HTTP server that accepts Negotiate (Kerberos through SPNEGO) with the keytab in KRB5_KTNAME
# and answers each authenticated request with what the GSS-API accept side saw: whether the
# client delegated a credential (GSS_C_DELEG_FLAG and a delegated forwarded TGT). Runs under
# Debian's /usr/bin/python3 with python3-gssapi (MIT krb5). Prints its port, then serves until
# killed. Threaded: clients keep connections open. Used by test/negotiate-delegation.test.ts.
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gssapi

CREDS = gssapi.Credentials(usage='accept')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        auth = self.headers.get('Authorization', '')
        if not auth.startswith('Negotiate '):
            self.reply(401, {'error': 'no token'}, [('WWW-Authenticate', 'Negotiate')])
            return
        try:
            context = gssapi.SecurityContext(usage='accept', creds=CREDS)
            answer = context.step(base64.b64decode(auth[len('Negotiate '):]))
        except gssapi.exceptions.GSSError as error:
            self.reply(403, {'error': str(error)})
            return
        headers = [('WWW-Authenticate', 'Negotiate ' + base64.b64encode(answer).decode())] if answer else []
        self.reply(200, {
            'complete': context.complete,
            'initiator': str(context.initiator_name),
            'target': str(context.target_name),
            'delegFlag': gssapi.RequirementFlag.delegate_to_peer in context.actual_flags,
            'delegatedCredential': str(context.delegated_creds.name) if context.delegated_creds is not None else None,
        }, headers)


server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
