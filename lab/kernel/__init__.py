"""The kernel side of lab: namespaces, links, hosts, programs. Needs privileges."""
