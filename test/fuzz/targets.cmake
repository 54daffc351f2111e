# One line per fuzz target; the source sits in this folder, its seeds in corpus/NAME/.
formation_add_fuzzer(fuzz_config SOURCE fuzz_config.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,formation_config_fuzz,formation_config>)
formation_add_fuzzer(fuzz_http_request SOURCE fuzz_http_request.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,formation_http_fuzz,formation_http>)
formation_add_fuzzer(fuzz_signature_headers SOURCE fuzz_signature_headers.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,formation_identity_fuzz,formation_identity>)
formation_add_fuzzer(fuzz_formfile SOURCE fuzz_formfile.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,formation_formfile_fuzz,formation_formfile>)
formation_add_fuzzer(fuzz_build_context SOURCE fuzz_build_context.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,formation_build_context_fuzz,formation_build_context>)
formation_add_fuzzer(fuzz_pdns_remote SOURCE fuzz_pdns_remote.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,dns_powerdns_protocol_fuzz,dns_powerdns_core>)
formation_add_fuzzer(fuzz_mesh_input SOURCE fuzz_mesh_input.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,mesh_wireguard_parse_fuzz,mesh_wireguard_core>)
formation_add_fuzzer(fuzz_webhook_input SOURCE fuzz_webhook_input.cpp LIBS $<IF:$<BOOL:${FORMATION_FUZZ}>,formation_webhook_input_fuzz,formation_webhook_input>)
