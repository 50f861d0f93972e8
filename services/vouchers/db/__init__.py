"""SQL of the vouchers service (asyncpg), one module per topic."""
