/** Word lists for realistic generated profiles. */

export const FIRST_NAMES = [
  'Isaac', 'Alice', 'Bob', 'Carmen', 'Deepak', 'Elena', 'Farah', 'George', 'Hana', 'Ivan', 'Julia', 'Kenji',
  'Laura', 'Mateo', 'Nadia', 'Oscar', 'Priya', 'Quentin', 'Rosa', 'Samuel', 'Tariq', 'Uma', 'Victor', 'Wei',
  'Ximena', 'Yusuf', 'Zoe', 'Amara', 'Bruno', 'Chloé', 'Dmitri', 'Esther', 'Felix', 'Grace', 'Hugo', 'Ines',
  'Jonas', 'Kira', 'Liam', 'Maya', 'Noah', 'Olga', 'Pablo', 'Rania', 'Sofia', 'Theo', 'Ulla', 'Vera', 'Zhang',
  "D'Arcy", 'José', 'Björn', 'Siobhán', 'Anaïs', 'Łukasz',
] as const

export const LAST_NAMES = [
  'Brock', 'Smith', 'Nakamura', 'Okafor', 'García', 'Müller', 'Rossi', 'Kowalski', 'Patel', 'Nguyen', 'Johansson',
  'Dubois', 'Silva', 'Cohen', 'Ivanova', 'Kim', 'Haddad', 'Mensah', 'Novak', 'Fischer', 'Tanaka', 'Moreau',
  "O'Brien", 'Van der Berg', 'Santos', 'Lee', 'Anderson', 'Chen', 'Das', 'Ekström', 'Fernández', 'Gupta',
  'Hoffmann', 'Ibrahim', 'Jensen', 'Kaur', 'Lopez', 'Martin', 'Nielsen', 'Olsen', 'Petrov', 'Quinn', 'Reyes',
] as const

export const DEPARTMENTS = [
  'Engineering', 'Sales', 'Marketing', 'Finance', 'Human Resources', 'Legal', 'Support', 'Operations', 'IT', 'Product',
  'Design', 'Security', 'Research',
] as const

export const TITLES = [
  'Engineer', 'Senior Engineer', 'Staff Engineer', 'Manager', 'Director', 'Analyst', 'Specialist', 'Associate',
  'Vice President', 'Coordinator', 'Consultant', 'Intern',
] as const

export const CITIES = [
  ['San Francisco', 'CA', 'US', '94107'],
  ['New York', 'NY', 'US', '10013'],
  ['Austin', 'TX', 'US', '73301'],
  ['Chicago', 'IL', 'US', '60601'],
  ['London', null, 'GB', 'EC1A 1BB'],
  ['Berlin', null, 'DE', '10115'],
  ['Paris', null, 'FR', '75001'],
  ['Toronto', 'ON', 'CA', 'M5H 2N2'],
  ['Bengaluru', 'KA', 'IN', '560001'],
  ['Tokyo', null, 'JP', '100-0001'],
  ['Sydney', 'NSW', 'AU', '2000'],
  ['São Paulo', 'SP', 'BR', '01000-000'],
] as const

export const LANGUAGES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR', 'es-ES'] as const

export const ENTITLEMENTS = ['vpn', 'jira-admin', 'github', 'aws-prod', 'aws-dev', 'salesforce', 'tableau', 'zoom'] as const

export const RECOVERY_QUESTIONS = [
  "What's my childhood elementary school?",
  'What is the name of your first pet?',
  'What was the make of your first car?',
  null,
] as const

export const GROUP_SUFFIXES = ['Team', 'All Staff', 'Leads', 'Contractors', 'Project', 'Guild', 'On-call', 'Readers'] as const

export const APP_TEMPLATES = [
  { signOnMode: 'SAML_2_0', name: 'salesforce', label: 'Salesforce.com' },
  { signOnMode: 'OPENID_CONNECT', name: 'oidc_client', label: 'Internal Portal' },
  { signOnMode: 'BOOKMARK', name: 'bookmark', label: 'Company Wiki' },
  { signOnMode: 'AUTO_LOGIN', name: 'template_sps', label: 'Expense Tracker' },
  { signOnMode: 'BROWSER_PLUGIN', name: 'template_swa', label: 'Legacy Payroll' },
  { signOnMode: 'SAML_2_0', name: 'workday', label: 'Workday' },
  { signOnMode: 'SECURE_PASSWORD_STORE', name: 'template_sps_store', label: 'Vendor Portal' },
  { signOnMode: 'WS_FEDERATION', name: 'template_wsfed', label: 'SharePoint' },
  { signOnMode: 'BASIC_AUTH', name: 'template_basic_auth', label: 'Build Server' },
  { signOnMode: 'SAML_1_1', name: 'template_saml_1_1', label: 'Old Intranet' },
  { signOnMode: 'OPENID_CONNECT', name: 'oidc_client', label: 'Mobile App' },
  { signOnMode: 'SAML_2_0', name: 'custom_saml', label: 'Example Custom SAML 2.0 App' },
] as const
